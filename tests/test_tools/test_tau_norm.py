"""tools/analysis/tau_norm.py's pieces: the classifier it accepts (and the clear refusals), the
validation-split check, the sweep values, the baked weights, τ selection on a toy split.
The whole tool runs end to end in test_two_stage_e2e.py."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import tau_norm  # noqa: E402


def _model(head):
    cfg = dict(type='ImageClassifier', backbone=dict(type='ResNet32_CIFAR', depth=8),
               neck=dict(type='GlobalAveragePooling'), head=head)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def test_accepts_linear_and_decoupled_heads():
    lin = tau_norm.linear_classifier(_model(dict(type='LinearClsHead', num_classes=4,
                                                 in_channels=64)))
    assert lin['weight'].shape == (4, 64) and lin['scales'] is None
    dec = tau_norm.linear_classifier(_model(dict(type='DecoupledClsHead', num_classes=4,
                                                 in_channels=64, scales=True)))
    assert dec['scales'].shape == (4, )


def test_refuses_other_classifiers():
    with pytest.raises(ValueError, match='cosine classifier.*do not depend on the weight norms'):
        tau_norm.linear_classifier(_model(dict(type='CosineClsHead', num_classes=4,
                                               in_channels=64)))
    with pytest.raises(ValueError, match='StackedLinearClsHead, not a linear classifier'):
        tau_norm.linear_classifier(_model(dict(type='StackedLinearClsHead', num_classes=4,
                                               in_channels=64, mid_channels=[8])))
    with pytest.raises(ValueError, match='already applies tau=0.5'):
        tau_norm.linear_classifier(_model(dict(type='DecoupledClsHead', num_classes=4,
                                               in_channels=64, tau=0.5)))


def test_validation_split_check_and_refusal(tmp_path):
    same = dict(dataset=dict(type='A', split='test'))
    assert not tau_norm.has_own_val_split(Config(dict(val_dataloader=same, test_dataloader=same)))
    assert tau_norm.has_own_val_split(Config(dict(
        val_dataloader=dict(dataset=dict(type='A', split='val')), test_dataloader=same)))
    assert not tau_norm.has_own_val_split(Config(dict(test_dataloader=same)))
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'val_dataloader = {same!r}\ntest_dataloader = {same!r}\n')
    with pytest.raises(ValueError, match='never selects τ on test data. Pass --tau'):
        tau_norm.run(str(cfg), 'unused.pth')


def test_sweep_values():
    assert tau_norm.sweep_values(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert tau_norm.sweep_values(0, 2, 0.1)[-1] == 2.0 and len(tau_norm.sweep_values(0, 2, 0.1)) \
        == 21
    with pytest.raises(ValueError, match='STEP > 0'):
        tau_norm.sweep_values(0, 1, 0)


def test_predictions_by_hand():
    # W rows of norms 5 and 1, no bias
    clf = dict(weight=torch.tensor([[3.0, 4.0], [0.0, 1.0]]), bias=torch.zeros(2), scales=None)
    split = dict(features=torch.tensor([[1.0, 1.0], [2.0, -1.0], [-1.0, 2.0]]))
    # τ = 0: (7, 1), (2, -1), (5, 2) -> 0, 0, 0
    assert tau_norm.predictions(split, clf, 0.0).tolist() == [0, 0, 0]
    # τ = 1: W~ = ((.6, .8), (0, 1)): (1.4, 1), (0.4, -1), (1.0, 2) -> 0, 0, 1
    assert tau_norm.predictions(split, clf, 1.0).tolist() == [0, 0, 1]
    # with LWS scales (1, 3): (1.4, 3), (0.4, -3), (1.0, 6) -> 1, 0, 1
    clf['scales'] = torch.tensor([1.0, 3.0])
    assert tau_norm.predictions(split, clf, 1.0).tolist() == [1, 0, 1]


def test_bake_writes_tau_normalised_weights(tmp_path):
    w = torch.tensor([[3.0, 4.0], [0.0, 2.0]])
    src, out = tmp_path / 'a.pth', tmp_path / 'b.pth'
    torch.save(dict(meta=dict(epoch=3), state_dict={'head.fc.weight': w,
                                                    'head.fc.bias': torch.ones(2)},
                    optimizer={}), src)
    tau_norm.bake(str(src), 0.5, str(out))
    baked = torch.load(out, weights_only=False)
    torch.testing.assert_close(baked['state_dict']['head.fc.weight'],
                               torch.tensor([[3 / 5**0.5, 4 / 5**0.5], [0.0, 2 / 2**0.5]]))
    assert torch.equal(baked['state_dict']['head.fc.bias'], torch.ones(2))
    assert baked['meta']['tau_norm'] == dict(tau=0.5, source=str(src))
    assert baked['meta']['epoch'] == 3 and 'optimizer' not in baked
    assert np.isfinite(baked['state_dict']['head.fc.weight'].numpy()).all()
