"""DecoupledClsHead and tau_normalize: τ-normalisation and LWS against hand-computed values, the
LinearClsHead equivalence, eval-only τ, frozen weights, loading a stage-1 checkpoint."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401
from mmltr.models.heads import DecoupledClsHead, decoupled_logits, tau_normalize

W = torch.tensor([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]])  # row norms 5, 2, 1
B = torch.tensor([0.5, -1.0, 0.25])
F1 = torch.tensor([[1.0, 1.0], [2.0, -1.0]])


def _head(**kw):
    head = DecoupledClsHead(num_classes=3, in_channels=2, **kw)
    with torch.no_grad():
        head.fc.weight.copy_(W)
        head.fc.bias.copy_(B)
    return head


def test_tau_normalize_by_hand():
    torch.testing.assert_close(tau_normalize(W, 1.0), torch.tensor([[0.6, 0.8], [0.0, 1.0],
                                                                   [1.0, 0.0]]))
    r5, r2 = math.sqrt(5), math.sqrt(2)
    torch.testing.assert_close(tau_normalize(W, 0.5), torch.tensor([[3 / r5, 4 / r5],
                                                                   [0.0, 2 / r2], [1.0, 0.0]]))
    torch.testing.assert_close(tau_normalize(W, 0.0), W)
    # a zero row stays zero (no division by 0)
    assert tau_normalize(torch.zeros(2, 3), 1.0).abs().sum() == 0


def test_decoupled_logits_by_hand():
    # tau = 1: W~ = [[.6, .8], [0, 1], [1, 0]]; f = (1, 1): (1.4 + .5, 1 - 1, 1 + .25)
    out = decoupled_logits(F1, W, B, torch.tensor([2.0, 1.0, 4.0]), 1.0)
    torch.testing.assert_close(out[0], torch.tensor([2 * 1.9, 1 * 0.0, 4 * 1.25]))
    # f = (2, -1): (1.2 - .8 + .5, -1 - 1, 2 + .25)
    torch.testing.assert_close(out[1], torch.tensor([2 * 0.9, 1 * -2.0, 4 * 2.25]))


def test_default_is_linear_cls_head():
    torch.manual_seed(0)
    lin = LinearClsHead(num_classes=3, in_channels=2)
    dec = DecoupledClsHead(num_classes=3, in_channels=2)
    dec.load_state_dict(lin.state_dict())  # same keys: a LinearClsHead checkpoint loads as is
    x = (torch.randn(5, 2), )
    for mode in (True, False):
        lin.train(mode)
        dec.train(mode)
        torch.testing.assert_close(dec(x), lin(x), rtol=0, atol=0)


def test_tau_applies_in_eval_mode_only():
    head = _head(tau=1.0)
    head.train()
    torch.testing.assert_close(head((F1, )), F.linear(F1, W, B))
    head.eval()
    torch.testing.assert_close(head((F1, )), F.linear(F1, tau_normalize(W, 1.0), B))
    pred = head.predict((F1, ), [DataSample(), DataSample()])
    # sample 0: logits (1.9, 0, 1.25) -> class 0; raw logits (7.5, 1, 1.25) also 0
    # sample 1: logits (0.9, -2, 2.25) -> class 2; raw logits (2.5, -3, 2.25) -> class 0
    assert [int(p.pred_label) for p in pred] == [0, 2]


def test_lws_learns_only_the_scales():
    head = _head(scales=True, train_weights=False,
                 loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
    assert head.scales.shape == (3, ) and head.scales.requires_grad
    assert not head.fc.weight.requires_grad and not head.fc.bias.requires_grad
    with torch.no_grad():
        head.scales.copy_(torch.tensor([2.0, 1.0, 4.0]))
    head.train()
    logits = head((F1, ))
    torch.testing.assert_close(logits, torch.tensor([2.0, 1.0, 4.0]) * F.linear(F1, W, B))
    samples = [DataSample().set_gt_label(0), DataSample().set_gt_label(2)]
    loss = head.loss((F1, ), samples)['loss']
    loss.backward()
    assert head.fc.weight.grad is None and head.fc.bias.grad is None
    # d CE / d s_c = mean_i (p_ic - [y_i = c]) * z_ic with the raw logits z
    z = F.linear(F1, W, B)
    p = torch.softmax(torch.tensor([2.0, 1.0, 4.0]) * z, dim=1)
    ref = ((p - F.one_hot(torch.tensor([0, 2]), 3)) * z).mean(0)
    torch.testing.assert_close(head.scales.grad, ref)


def test_las_head_trains_weights_and_scales():
    head = MODELS.build(dict(type='DecoupledClsHead', num_classes=3, in_channels=2, scales=True,
                             loss=dict(type='LabelAwareSmoothingLoss', class_counts=[30, 10,
                                                                                     2])))
    loss = head.loss((F1, ), [DataSample().set_gt_label(0), DataSample().set_gt_label(2)])
    loss['loss'].backward()
    assert head.fc.weight.grad is not None and head.scales.grad is not None


def test_loads_a_stage1_linear_head_checkpoint_with_new_scales():
    lin = LinearClsHead(num_classes=3, in_channels=2)
    head = DecoupledClsHead(num_classes=3, in_channels=2, scales=True)
    missing, unexpected = head.load_state_dict(lin.state_dict(), strict=False)
    assert missing == ['scales'] and unexpected == []
    assert torch.equal(head.scales, torch.ones(3))


def test_bad_arguments():
    with pytest.raises(ValueError, match='nothing to train'):
        DecoupledClsHead(num_classes=3, in_channels=2, scales=False, train_weights=False)
    for bad in (-0.5, float('nan'), float('inf'), 'a', True):
        with pytest.raises(ValueError, match='tau must be a finite number >= 0'):
            DecoupledClsHead(num_classes=3, in_channels=2, tau=bad)
