"""GPUValLoop / GPUTestLoop: 'auto' mode asks the head for a batched prediction rule; the metrics
equal those of MMEngine's standard ValLoop either way."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.loops import _parse_losses, _update_losses
from mmengine.structures import BaseDataElement
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS, RUNNERS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401
from mmltr.engine.fast_path.eval_loop import _mean_losses, _record_losses
from mmltr.models.heads import CosineClsHead

init_default_scope('mmpretrain')
torch.set_num_threads(1)


@MODELS.register_module(name='FastPathTestBatchedLinearHead', force=True)
class BatchedLinearHead(LinearClsHead):
    """MMPretrain's linear head plus a public batched rule (softmax scores, argmax labels)."""

    def batch_predictions(self, cls_score):
        scores = F.softmax(cls_score, dim=1)
        return scores, scores.argmax(dim=1)


def test_cosine_head_batch_predictions_equal_get_predictions():
    head = CosineClsHead(num_classes=5, in_channels=8, scale=16.0)
    cos = F.normalize(torch.randn(7, 5), dim=1)
    scores, labels = head.batch_predictions(cos)
    # independent reference: softmax(s * cos), argmax cos
    assert torch.equal(scores, torch.softmax(16.0 * cos, dim=1))
    assert torch.equal(labels, cos.argmax(dim=1)) and labels.shape == (7, )
    samples = head._get_predictions(cos, [DataSample() for _ in range(7)])
    for i, s in enumerate(samples):
        assert torch.equal(s.pred_score, scores[i])
        assert torch.equal(s.pred_label, labels[i:i + 1])
    feats = (torch.randn(7, 8), )
    scores, labels = head.batch_predictions(head(feats))
    for i, s in enumerate(head.predict(feats)):
        assert torch.equal(s.pred_score, scores[i]) and int(s.pred_label) == int(labels[i])


def test_val_losses_recorded_like_mmengine():
    """The few lines replacing MMEngine's private loss helpers give the same numbers."""
    batches = [[DataSample(), BaseDataElement(loss=dict(loss_a=torch.tensor(float(i)),
                                                        acc=torch.tensor(2.0 * i),
                                                        loss_b=[torch.tensor(1.0),
                                                                torch.tensor(i + 3.0)]))]
               for i in range(3)]
    ours, ref = {}, {}
    for outputs in batches:
        kept = _record_losses(outputs, ours)
        want, ref = _update_losses(outputs, ref)
        assert kept == want and len(kept) == 1
    assert _mean_losses(ours, 'val') == _parse_losses(ref, 'val')
    plain = [DataSample()]
    assert _record_losses(plain, ours) is plain


HEADS = dict(
    linear="dict(_delete_=True, type='LinearClsHead', num_classes=10, in_channels=64)",
    batched="dict(_delete_=True, type='FastPathTestBatchedLinearHead', num_classes=10, "
    'in_channels=64)',
    cosine="dict(_delete_=True, type='CosineClsHead', num_classes=10, in_channels=64)",
)


def _val_runner(root, work_dir, tiny_cifar_config, head, fast):
    extra = (f'model = dict(head={HEADS[head]})\n'
             "val_evaluator = [dict(type='ShotAccuracy', many_thr=15, few_thr=5),\n"
             "                 dict(type='Accuracy', topk=(1, 3))]\n")
    cfg = Config.fromfile(tiny_cifar_config(root, work_dir, fast=fast, extra=extra))
    cfg.experiment_name = f'val_{head}_{fast}'
    return RUNNERS.build(cfg) if fast else Runner.from_cfg(cfg)


@pytest.mark.parametrize('head,auto', [('linear', 'predict'), ('batched', 'logits'),
                                       ('cosine', 'logits')])
def test_auto_mode_follows_the_head_and_metrics_match_the_standard_loop(
        head, auto, tmp_path, fake_cifar, tiny_cifar_config):
    root = str(tmp_path / 'cifar')
    fake_cifar(root)
    fast = _val_runner(root, str(tmp_path / 'fast'), tiny_cifar_config, head, True)
    std = _val_runner(root, str(tmp_path / 'std'), tiny_cifar_config, head, False)
    std.model.load_state_dict(fast.model.state_dict())
    loop = fast.val_loop
    assert type(loop).__name__ == 'GPUValLoop' and loop._resolved_mode() == auto
    metrics = fast.val()
    reference = std.val()
    assert set(reference) >= {'lt/top1', 'lt/many', 'accuracy/top1', 'accuracy/top3'}
    assert metrics == reference
    if auto == 'logits':  # the other path gives the same numbers
        loop.mode = 'predict'
        assert loop.run() == reference
    else:
        loop.mode = 'logits'
        with pytest.raises(ValueError, match="mode='logits' needs a head with a "
                           'batch_predictions'):
            loop.run()
