"""The shared loss functions (hand-computed values) and the CountAwareLoss base class."""
import math

import pytest
import torch

from mmltr.models.losses import (
    CountAwareLoss,
    DBMLoss,
    GHMCWAPLoss,
    LDAMLoss,
    class_balanced_weights,
    drw_active,
    log_class_prior,
    rarity_margins,
    reduce_class_weighted,
)
from mmltr.models.losses.utils import check_reduction, check_reweighting


# --- count-derived tables ------------------------------------------------------------------------
def test_log_class_prior_by_hand():
    # an empty class counts as one image: [3, 1, 1] / 5
    prior = log_class_prior(torch.tensor([3., 1., 0.], dtype=torch.float64))
    assert prior.dtype == torch.float32
    torch.testing.assert_close(prior, torch.tensor([math.log(0.6), math.log(0.2), math.log(0.2)]))
    # invariant to the scale of the counts
    assert torch.equal(log_class_prior(torch.tensor([30., 10.])),
                       log_class_prior(torch.tensor([3., 1.])))


def test_rarity_margins_by_hand():
    # n_min = 25 (the zero count is ignored): 0.5 * [4, 1, 1]^-0.5
    m = rarity_margins(torch.tensor([100., 25., 0.], dtype=torch.float64), 0.5, 0.5)
    assert m.dtype == torch.float32
    assert m.tolist() == [0.25, 0.5, 0.5]
    # unsorted counts: still normalised by the smallest, power 1
    m = rarity_margins(torch.tensor([10., 40., 20.]), 0.2, 1.0)
    torch.testing.assert_close(m, torch.tensor([0.2, 0.05, 0.1]))


def test_class_balanced_weights_by_hand():
    # beta = 0.5: (1 - b) / (1 - b^n) = [0.5/0.5, 0.5/0.75, (empty) 0] = [1, 2/3, 0], sum 5/3,
    # normalised to sum C = 3: [1.8, 1.2, 0]
    w = class_balanced_weights(torch.tensor([1., 2., 0.], dtype=torch.float64), 0.5)
    assert w.dtype == torch.float32
    torch.testing.assert_close(w, torch.tensor([1.8, 1.2, 0.0]))
    # beta = 0: uniform
    assert class_balanced_weights(torch.tensor([5., 500., 50.]), 0.0).tolist() == [1.0] * 3
    with pytest.raises(ValueError, match='beta'):
        class_balanced_weights(torch.tensor([1., 2.]), 1.0)


def test_drw_active_and_argument_checks():
    assert not drw_active(None, 0, 5)  # no beta: never
    assert not drw_active(0.9, None, 5)  # no switch epoch: never
    assert not drw_active(0.9, 3, 2)
    assert drw_active(0.9, 3, 3) and drw_active(0.9, 0, 0)
    beta, drw_epoch = check_reweighting(0, 160, 'X')
    assert (beta, drw_epoch) == (0.0, 160) and isinstance(beta, float)
    assert check_reweighting(None, None, 'X') == (None, None)
    for bad in (dict(beta=1.0), dict(beta=-0.1), dict(drw_epoch=-1), dict(drw_epoch=1.5),
                dict(drw_epoch=True)):
        args = dict(dict(beta=0.9, drw_epoch=0), **bad)
        with pytest.raises(ValueError, match='X: (beta|drw_epoch)'):
            check_reweighting(args['beta'], args['drw_epoch'], 'X')
    assert check_reduction('sum', 'X') == 'sum'
    with pytest.raises(ValueError, match="X: reduction must be one of"):
        check_reduction('avg', 'X')


# --- the one reduction ---------------------------------------------------------------------------
def test_reduce_class_weighted_formulas():
    g = torch.Generator().manual_seed(1)
    loss = torch.rand(10, generator=g)
    y = torch.randint(0, 3, (10, ), generator=g)
    cw = torch.tensor([0.5, 1.0, 2.0])
    w = torch.rand(10, generator=g)
    c = cw[y]
    # weighted mean: MMPretrain's sum/avg_factor divided by the batch's mean class weight
    torch.testing.assert_close(reduce_class_weighted(loss, y, cw, w, 'mean', avg_factor=7.),
                               (c * w * loss).sum() / (c * w).sum() * w.sum() / 7.)
    torch.testing.assert_close(reduce_class_weighted(loss, y, cw, None, 'mean', avg_factor=10.),
                               (c * loss).sum() / c.sum())
    torch.testing.assert_close(reduce_class_weighted(loss, y, cw, None, 'mean'),
                               (c * loss).sum() / c.sum())
    torch.testing.assert_close(
        reduce_class_weighted(loss, y, cw, w, 'mean', avg_factor=7., weighted_mean=False),
        (c * w * loss).sum() / 7.)
    torch.testing.assert_close(reduce_class_weighted(loss, y, cw, None, 'sum'), (c * loss).sum())
    torch.testing.assert_close(reduce_class_weighted(loss, y, cw, w, 'none'), c * w * loss)
    # no class weights: identical to MMPretrain's weight_reduce_loss
    torch.testing.assert_close(reduce_class_weighted(loss, y, None, w, 'mean', avg_factor=7.),
                               (w * loss).sum() / 7.)
    # by hand: losses [1, 2, 4] of classes [0, 1, 1], class weights [3, 1]: (3 + 2 + 4) / 5
    hand = reduce_class_weighted(torch.tensor([1., 2., 4.]), torch.tensor([0, 1, 1]),
                                 torch.tensor([3., 1.]))
    assert hand.item() == pytest.approx(9 / 5)
    with pytest.raises(ValueError, match='weight has 2 entries'):
        reduce_class_weighted(loss, y, weight=torch.ones(2))
    with pytest.raises(ValueError, match='reduction'):
        reduce_class_weighted(loss, y, reduction='avg')


# --- CountAwareLoss ------------------------------------------------------------------------------
class _PriorLoss(CountAwareLoss):
    """A minimal count-aware loss: one table derived from the counts."""

    def __init__(self, class_counts=None, num_classes=None):
        super().__init__(num_classes)
        self.derived = 0
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _derive(self):
        self.derived += 1
        return dict(log_prior=log_class_prior(self.class_counts))

    def forward(self, cls_score):
        return cls_score + self._table('log_prior', cls_score)


def test_count_aware_loss_counts_and_checks():
    loss = _PriorLoss(num_classes=3)
    assert loss.needs_class_counts and loss.epoch == 0 and loss.reduction == 'mean'
    with pytest.raises(RuntimeError, match='no class_counts'):
        loss(torch.zeros(2, 3))
    loss.set_class_counts([6, 3, 1])
    assert not loss.needs_class_counts and loss.derived == 1
    assert loss.class_counts.dtype == torch.float64 and loss.class_counts.tolist() == [6, 3, 1]
    torch.testing.assert_close(loss(torch.zeros(1, 3)),
                               torch.tensor([[math.log(.6), math.log(.3), math.log(.1)]]))
    with pytest.raises(ValueError, match='num_classes mismatch'):
        loss(torch.zeros(2, 4))
    for bad, match in (([6, 3], 'num_classes=3'), ([], 'empty'), ([0, 0, 0], 'every class'),
                       ([1, -2, 3], 'non-negative integers'), ([1.5, 2, 3], 'non-negative'),
                       ([[1, 2, 3]], 'flat list')):
        with pytest.raises(ValueError, match=match):
            loss.set_class_counts(bad)
    assert loss.class_counts.tolist() == [6, 3, 1]  # a rejected fill changes nothing
    loss.set_epoch(7)
    assert loss.epoch == 7


def test_count_aware_loss_state_dict():
    src = _PriorLoss([6, 3, 1])
    sd = src.state_dict()
    assert set(sd) == {'class_counts'}  # derived tables are not saved
    fresh = _PriorLoss()  # counts unknown at build time: taken from the checkpoint
    fresh.load_state_dict(sd)
    assert fresh.derived == 1 and torch.equal(fresh.log_prior, src.log_prior)
    other = _PriorLoss([1, 1, 1])  # counts already set: replaced, tables re-derived
    other.load_state_dict(sd)
    assert other.derived == 2 and torch.equal(other.log_prior, src.log_prior)
    empty = _PriorLoss()  # a checkpoint saved before the counts were known
    empty.load_state_dict(_PriorLoss().state_dict())
    assert empty.needs_class_counts and empty.derived == 0
    with pytest.raises(RuntimeError, match='size mismatch'):
        _PriorLoss([1, 1]).load_state_dict(sd)
    # tables follow .to() like any buffer
    assert src.to(torch.float64).log_prior.dtype == torch.float64


@pytest.mark.parametrize('build,name', [
    (lambda: DBMLoss(K='abc'), 'DBMLoss: K'),
    (lambda: DBMLoss(tau=None), 'DBMLoss: tau'),
    (lambda: LDAMLoss(max_margin='0.5'), 'LDAMLoss: max_margin'),
    (lambda: GHMCWAPLoss(num_classes=3, gamma='0.8'), 'GHMCWAPLoss: gamma'),
    (lambda: GHMCWAPLoss(num_classes=3, max_weight='10'), 'GHMCWAPLoss: max_weight'),
])
def test_typed_arguments_are_named(build, name):
    with pytest.raises(TypeError, match=f'{name} must be a number, got'):
        build()
