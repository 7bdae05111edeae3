"""LabelAwareSmoothingLoss: the ε profiles against hand-computed values and MiSLAS's formulas, the
loss against a few-line smoothed-target cross-entropy and PyTorch's label smoothing, counts."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401  (registers the losses)
from mmltr.engine.hooks.long_tail_loss_hook import LongTailLossHook
from mmltr.models.losses import (
    LabelAwareSmoothingLoss,
    label_aware_epsilons,
    label_aware_smoothing_loss,
)

COUNTS = [500, 300, 120, 60, 20, 5]
C = len(COUNTS)


def mislas_epsilons(counts, head, tail, shape):
    """MiSLAS's formulas, written out with numpy (Zhong et al., CVPR 2021)."""
    n = np.asarray(counts, dtype=np.float64)
    n1, nk = n.max(), n.min()
    if shape == 'concave':
        return tail + (head - tail) * np.sin((n - nk) * np.pi / (2 * (n1 - nk)))
    if shape == 'linear':
        return tail + (head - tail) * (n - nk) / (n1 - nk)
    return head + (head - tail) * np.sin(1.5 * np.pi + (n - nk) * np.pi / (2 * (n1 - nk)))


def reference_loss(x, y, eps):
    """Cross-entropy against the smoothed target (1 - e_y) one_hot(y) + e_y / C, per sample."""
    q = (1 - eps[y])[:, None] * F.one_hot(y, x.size(1)).double() + (eps[y] / x.size(1))[:, None]
    return -(q * torch.log_softmax(x.double(), dim=1)).sum(1)


def _inputs(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, C, generator=g) * 3
    y = torch.randint(0, C, (n, ), generator=g)
    y[:C] = torch.arange(C)
    return x, y


def test_epsilons_by_hand():
    # counts 100, 55, 10: d = 1, 0.5, 0; concave sin(pi/4) = 0.70711
    eps = label_aware_epsilons(torch.tensor([100., 55., 10.]), 0.4, 0.1, 'concave')
    torch.testing.assert_close(eps, torch.tensor([0.4, 0.1 + 0.3 * 0.7071067811865476, 0.1],
                                                 dtype=torch.float64))
    lin = label_aware_epsilons(torch.tensor([100., 55., 10.]), 0.4, 0.1, 'linear')
    torch.testing.assert_close(lin, torch.tensor([0.4, 0.25, 0.1], dtype=torch.float64))
    # convex: 0.4 + 0.3 * sin(3pi/2 + pi/4) = 0.4 - 0.3 * cos(pi/4)
    cvx = label_aware_epsilons(torch.tensor([100., 55., 10.]), 0.4, 0.1, 'convex')
    torch.testing.assert_close(cvx, torch.tensor([0.4, 0.4 - 0.3 * 0.7071067811865476, 0.1],
                                                 dtype=torch.float64))


@pytest.mark.parametrize('shape', ['concave', 'linear', 'convex'])
@pytest.mark.parametrize('head,tail', [(0.4, 0.0), (0.4, 0.1), (0.3, 0.0), (0.2, 0.0)])
def test_epsilons_match_mislas(shape, head, tail):
    ours = label_aware_epsilons(torch.tensor(COUNTS), head, tail, shape).numpy()
    np.testing.assert_allclose(ours, mislas_epsilons(COUNTS, head, tail, shape), atol=1e-12)
    assert ours[0] == pytest.approx(head) and ours[-1] == pytest.approx(tail)
    # head and tail classes in between: monotone in the count
    assert np.all(np.diff(ours) <= 1e-12)


def test_concave_profile_lies_above_linear():
    conc = label_aware_epsilons(torch.tensor(COUNTS), 0.4, 0.0, 'concave')
    lin = label_aware_epsilons(torch.tensor(COUNTS), 0.4, 0.0, 'linear')
    assert torch.all(conc >= lin - 1e-12) and torch.any(conc > lin)


def test_balanced_counts_give_eps_head():
    eps = label_aware_epsilons(torch.tensor([7, 7, 7]), 0.3, 0.1)
    assert eps.tolist() == [0.3, 0.3, 0.3]


@pytest.mark.parametrize('shape', ['concave', 'linear'])
def test_loss_matches_smoothed_target_cross_entropy(shape):
    x, y = _inputs()
    loss = LabelAwareSmoothingLoss(0.4, 0.1, shape=shape, class_counts=COUNTS,
                                   reduction='none')
    eps = torch.from_numpy(mislas_epsilons(COUNTS, 0.4, 0.1, shape))
    torch.testing.assert_close(loss(x, y).double(), reference_loss(x, y, eps), rtol=1e-5,
                               atol=1e-6)
    mean = LabelAwareSmoothingLoss(0.4, 0.1, shape=shape, class_counts=COUNTS)(x, y)
    torch.testing.assert_close(mean.double(), reference_loss(x, y, eps).mean(), rtol=1e-5,
                               atol=1e-6)


def test_equal_epsilons_are_pytorch_label_smoothing():
    """eps_head = eps_tail: every class has the same ε, which is CE with label_smoothing=ε."""
    x, y = _inputs(seed=3)
    loss = LabelAwareSmoothingLoss(0.2, 0.2, class_counts=COUNTS)(x, y)
    torch.testing.assert_close(loss, F.cross_entropy(x, y, label_smoothing=0.2), rtol=1e-6,
                               atol=1e-6)
    zero = LabelAwareSmoothingLoss(0.0, 0.0, class_counts=COUNTS)(x, y)
    torch.testing.assert_close(zero, F.cross_entropy(x, y), rtol=1e-6, atol=1e-6)


def test_gradient_matches_reference():
    x, y = _inputs(seed=5)
    eps = torch.from_numpy(mislas_epsilons(COUNTS, 0.4, 0.0, 'concave'))
    xa = x.clone().double().requires_grad_(True)
    (ga, ) = torch.autograd.grad(
        label_aware_smoothing_loss(xa, y, eps, reduction='sum'), xa)
    xb = x.clone().double().requires_grad_(True)
    (gb, ) = torch.autograd.grad(reference_loss(xb, y, eps).sum(), xb)
    torch.testing.assert_close(ga.double(), gb, rtol=1e-5, atol=1e-6)


def test_reductions_weight_and_loss_weight():
    x, y = _inputs(seed=1)
    eps = torch.from_numpy(mislas_epsilons(COUNTS, 0.4, 0.0, 'concave'))
    ref = reference_loss(x, y, eps)
    w = torch.rand(len(y), generator=torch.Generator().manual_seed(0))
    loss = LabelAwareSmoothingLoss(class_counts=COUNTS, loss_weight=2.0)
    torch.testing.assert_close(loss(x, y, reduction_override='sum').double(), 2 * ref.sum(),
                               rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(loss(x, y, weight=w, avg_factor=len(y)).double(),
                               2 * (w.double() * ref).sum() / len(y), rtol=1e-5, atol=1e-5)


def test_counts_from_the_hook_and_checkpoint(fake_runner):
    loss = LabelAwareSmoothingLoss(0.4, 0.1)
    assert loss.needs_class_counts
    x, y = _inputs()
    with pytest.raises(RuntimeError, match='LongTailLossHook'):
        loss(x, y)
    model = torch.nn.Module()
    model.loss = loss
    LongTailLossHook().before_run(fake_runner(model, counts=COUNTS))
    np.testing.assert_allclose(loss.epsilons.numpy(), mislas_epsilons(COUNTS, 0.4, 0.1,
                                                                        'concave'))
    # the counts travel with the checkpoint and the table is re-derived after loading
    fresh = LabelAwareSmoothingLoss(0.4, 0.1)
    fresh.load_state_dict(loss.state_dict())
    torch.testing.assert_close(fresh(x, y), loss(x, y))


def test_built_from_config_and_checks():
    loss = MODELS.build(dict(type='LabelAwareSmoothingLoss', eps_head=0.3, eps_tail=0.0,
                             class_counts=COUNTS))
    assert isinstance(loss, LabelAwareSmoothingLoss)
    x, y = _inputs()
    with pytest.raises(ValueError, match='num_classes mismatch'):
        loss(x[:, :4], y % 4)
    with pytest.raises(ValueError, match='eps_head must be in'):
        LabelAwareSmoothingLoss(eps_head=1.5)
    with pytest.raises(ValueError, match='eps_tail must be in'):
        LabelAwareSmoothingLoss(eps_tail=-0.1)
    with pytest.raises(TypeError, match='eps_head must be a number'):
        LabelAwareSmoothingLoss(eps_head='0.4')
    with pytest.raises(ValueError, match='shape must be one of'):
        LabelAwareSmoothingLoss(shape='exp')
    with pytest.raises(ValueError, match='hard integer labels'):
        loss(x, F.one_hot(y, C).float())
    assert math.isfinite(float(loss(x * 1e4, y)))  # no overflow on large logits
