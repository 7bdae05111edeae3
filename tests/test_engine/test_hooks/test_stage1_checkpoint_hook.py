"""Stage1CheckpointHook: load_from is required (and must exist), the classifier's class count is
checked with both numbers in the error, reinit drops the classifier, stage-2 checkpoints resume
whole, test runs are untouched."""
import torch
import torch.nn as nn
from mmpretrain.models.heads import LinearClsHead
from pytest import raises

import mmltr  # noqa: F401
from mmltr.engine.hooks import Stage1CheckpointHook
from mmltr.engine.hooks.stage1_checkpoint_hook import META_KEY


class Net(nn.Module):

    def __init__(self, num_classes=3):
        super().__init__()
        self.backbone = nn.Linear(4, 4)
        self.head = LinearClsHead(num_classes=num_classes, in_channels=4)


def _runner(fake_runner, model=None, load_from=None, resume=False, training=True):
    runner = fake_runner(model or Net(), training=training)
    runner._load_from, runner._resume = load_from, resume
    return runner


def _checkpoint(num_classes=3, meta=None):
    return dict(meta=dict(meta or {}), state_dict=Net(num_classes).state_dict())


def test_load_from_is_required(fake_runner, tmp_path):
    with raises(ValueError, match='load_from is not set'):
        Stage1CheckpointHook().before_run(_runner(fake_runner))
    with raises(FileNotFoundError, match=r"load_from='.*nope.pth' does not exist"):
        Stage1CheckpointHook().before_run(
            _runner(fake_runner, load_from=str(tmp_path / 'nope.pth')))
    # resume=True without any checkpoint found: refused before the first iteration
    hook, runner = Stage1CheckpointHook(), _runner(fake_runner, resume=True)
    hook.before_run(runner)
    with raises(ValueError, match='no checkpoint was loaded.*set load_from'):
        hook.before_train(runner)


def test_class_count_mismatch_names_both_numbers(fake_runner, tmp_path):
    path = tmp_path / 's1.pth'
    path.write_bytes(b'')
    hook, runner = Stage1CheckpointHook(), _runner(fake_runner, Net(3), load_from=str(path))
    hook.before_run(runner)
    with raises(ValueError, match=r'classifier for 10 classes \(head.fc.weight: \(10, 4\)\) but '
                r'the model has num_classes=3'):
        hook.after_load_checkpoint(runner, _checkpoint(10))


def test_reinit_drops_the_classifier_and_keeps_the_rest(fake_runner, tmp_path):
    path = tmp_path / 's1.pth'
    path.write_bytes(b'')
    hook, runner = Stage1CheckpointHook(reinit='head'), _runner(fake_runner, load_from=str(path))
    hook.before_run(runner)
    ckpt = _checkpoint()
    ckpt['state_dict'] = {'module.' + k: v for k, v in ckpt['state_dict'].items()}  # DDP keys
    hook.after_load_checkpoint(runner, ckpt)
    assert sorted(ckpt['state_dict']) == ['module.backbone.bias', 'module.backbone.weight']
    assert 'not loading head.fc.bias, head.fc.weight' in runner.logger.last
    hook.before_train(runner)  # a checkpoint was loaded: fine

    keep = Stage1CheckpointHook(reinit=())
    keep.before_run(runner)
    ckpt = _checkpoint()
    keep.after_load_checkpoint(runner, ckpt)
    assert len(ckpt['state_dict']) == 4


def test_reinit_of_an_untrained_classifier_is_refused(fake_runner, tmp_path):
    path = tmp_path / 's1.pth'
    path.write_bytes(b'')
    model = Net()
    model.head.fc.weight.requires_grad_(False)  # e.g. LWS: only scales are learnt
    hook, runner = Stage1CheckpointHook(reinit='head'), _runner(fake_runner, model,
                                                               load_from=str(path))
    hook.before_run(runner)
    with raises(ValueError, match=r"re-initialise \['head.fc.weight'\], which this config does "
                r'not train'):
        hook.after_load_checkpoint(runner, _checkpoint())


def test_stage2_checkpoints_resume_whole(fake_runner, tmp_path):
    path = tmp_path / 's1.pth'
    path.write_bytes(b'')
    hook, runner = Stage1CheckpointHook(reinit='head'), _runner(fake_runner, load_from=str(path))
    hook.before_run(runner)
    saved = {}
    hook.before_save_checkpoint(runner, saved)
    assert saved['meta'][META_KEY] == str(path)
    resumed = _checkpoint(meta=saved['meta'])
    hook2, runner2 = Stage1CheckpointHook(reinit='head'), _runner(fake_runner, resume=True)
    hook2.before_run(runner2)
    hook2.after_load_checkpoint(runner2, resumed)
    assert len(resumed['state_dict']) == 4  # the trained classifier is resumed, not dropped
    hook2.before_train(runner2)


def test_test_runs_are_untouched(fake_runner):
    hook, runner = Stage1CheckpointHook(reinit='head'), _runner(fake_runner, training=False)
    hook.before_run(runner)  # no load_from needed outside training
    ckpt = _checkpoint(10)
    hook.after_load_checkpoint(runner, ckpt)  # neither checked nor dropped
    assert len(ckpt['state_dict']) == 4
    hook.before_train(runner)


def test_bad_arguments():
    with raises(ValueError, match='reinit must be module prefixes'):
        Stage1CheckpointHook(reinit=[''])
    assert Stage1CheckpointHook(reinit=('head.fc.', )).reinit == ['head.fc']
    assert torch.is_tensor(_checkpoint()['state_dict']['head.fc.weight'])
