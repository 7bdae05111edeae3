"""Rebalancing losses (BS, LDAM(-DRW), CB CE / focal, CE-DRW) against few-line references."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401  (registers the losses)
from mmltr.engine.hooks.long_tail_loss_hook import LongTailLossHook
from mmltr.models.losses import (
    BalancedSoftmaxLoss,
    ClassBalancedLoss,
    DBMLoss,
    LDAMLoss,
    SoftmaxFocalLoss,
    balanced_softmax_loss,
    class_balanced_loss,
    ldam_loss,
)

COUNTS = [500, 300, 120, 60, 20, 5]
C = len(COUNTS)


def _inputs(n=32, seed=0, cosine=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, C, generator=g, dtype=torch.float64)
    if cosine:
        x = torch.tanh(x)  # in (-1, 1)
    y = torch.randint(0, C, (n, ), generator=g)
    y[:C] = torch.arange(C)  # every class present
    return x.float(), y


def _value_and_grad(fn, x, y):
    x = x.clone().requires_grad_(True)
    loss = fn(x, y)
    (g, ) = torch.autograd.grad(loss, x)
    return loss.detach(), g


def _assert_same(loss_fn, ref_fn, x, y, atol=1e-5):
    l1, g1 = _value_and_grad(loss_fn, x, y)
    l2, g2 = _value_and_grad(ref_fn, x, y)
    torch.testing.assert_close(l1, l2, atol=atol, rtol=1e-5)
    torch.testing.assert_close(g1, g2, atol=atol, rtol=1e-5)


# --- independent references (numpy-style constants, plain torch ops) ---------------------------
def ref_cb_weights(counts, beta):
    n = np.asarray(counts, dtype=np.float64)
    w = (1.0 - beta) / (1.0 - np.power(beta, n))
    return torch.tensor(w / w.sum() * len(n), dtype=torch.float32)


def ref_bs(x, y, counts, tau=1.0):
    prior = torch.tensor(counts, dtype=torch.float64) / sum(counts)
    return F.cross_entropy(x + tau * torch.log(prior).float(), y)


def ref_ldam(x, y, counts, max_m=0.5, s=30.0, weight=None):
    m = 1.0 / np.sqrt(np.sqrt(np.asarray(counts, dtype=np.float64)))
    m = torch.tensor(m * (max_m / m.max()), dtype=torch.float32)
    onehot = F.one_hot(y, C).bool()
    out = torch.where(onehot, x - m[y][:, None], x)
    return F.cross_entropy(s * out, y, weight=weight)


def ref_focal(x, y, gamma, weight=None):
    logp = torch.log_softmax(x, 1)[torch.arange(len(y)), y]
    loss = -(1 - logp.exp())**gamma * logp
    if weight is None:
        return loss.mean()
    w = weight[y]
    return (w * loss).sum() / w.sum()


# --- Balanced Softmax ---------------------------------------------------------------------------
@pytest.mark.parametrize('tau', [1.0, 0.5])
def test_balanced_softmax_matches_ce_on_adjusted_logits(tau):
    x, y = _inputs()
    loss = BalancedSoftmaxLoss(tau=tau, class_counts=COUNTS)
    _assert_same(loss, lambda a, b: ref_bs(a, b, COUNTS, tau), x, y)
    # log prior is invariant to the scale of the counts (n_c vs n_c / sum n)
    x2 = x + tau * torch.log(torch.tensor(COUNTS, dtype=torch.float32))
    torch.testing.assert_close(loss(x, y), F.cross_entropy(x2, y), atol=1e-5, rtol=1e-5)
    # the thin module adds the checks and the prior, nothing else (bit-identical)
    assert torch.equal(loss(x, y), balanced_softmax_loss(x, y, loss.log_prior, tau=tau))


def test_balanced_softmax_reductions_and_weights():
    x, y = _inputs()
    loss = BalancedSoftmaxLoss(class_counts=COUNTS)
    per = loss(x, y, reduction_override='none')
    assert per.shape == (len(y), )
    torch.testing.assert_close(loss(x, y, reduction_override='sum'), per.sum())
    w = torch.rand(len(y))
    # MMPretrain semantics: sum(w l) / avg_factor
    torch.testing.assert_close(loss(x, y, weight=w, avg_factor=10.), (w * per).sum() / 10.)
    with pytest.raises(ValueError, match='avg_factor'):
        loss(x, y, avg_factor=3., reduction_override='sum')
    lw = BalancedSoftmaxLoss(class_counts=COUNTS, loss_weight=0.5)
    torch.testing.assert_close(lw(x, y), 0.5 * per.mean())


# --- LDAM ---------------------------------------------------------------------------------------
def test_ldam_matches_reference_and_margins():
    x, y = _inputs(cosine=True)
    loss = LDAMLoss(class_counts=COUNTS, max_margin=0.5, scale=30.0)
    _assert_same(loss, lambda a, b: ref_ldam(a, b, COUNTS), x, y)
    m = loss.class_margins
    assert m[-1].item() == pytest.approx(0.5)  # rarest class
    assert m[0].item() == pytest.approx(0.5 * (5 / 500)**0.25, rel=1e-6)
    assert LDAMLoss.expects_cosine
    # the thin module adds the checks and the tables, nothing else (bit-identical)
    assert torch.equal(loss(x, y), ldam_loss(x, y, m, scale=30.0))


def test_ldam_drw_switch_uses_weighted_mean():
    x, y = _inputs(cosine=True)
    loss = LDAMLoss(class_counts=COUNTS, drw_epoch=160)
    w = ref_cb_weights(COUNTS, 0.9999)
    for epoch, weight in [(0, None), (159, None), (160, w), (199, w)]:
        loss.set_epoch(epoch)
        _assert_same(loss, lambda a, b: ref_ldam(a, b, COUNTS, weight=weight), x, y)
    plain = LDAMLoss(class_counts=COUNTS, drw_epoch=None)
    plain.set_epoch(199)
    _assert_same(plain, lambda a, b: ref_ldam(a, b, COUNTS), x, y)


def test_ldam_rejects_logits():
    x, y = _inputs()
    with pytest.raises(ValueError, match='raw cosine'):
        LDAMLoss(class_counts=COUNTS)(5 * x, y)


# --- DRW / class-balanced weights -------------------------------------------------------------
def test_drw_weights_before_and_after_switch():
    loss = ClassBalancedLoss(beta=0.9999, drw_epoch=160, class_counts=COUNTS)
    w = loss.cb_weights
    torch.testing.assert_close(w, ref_cb_weights(COUNTS, 0.9999))
    assert w.sum().item() == pytest.approx(C, rel=1e-6)
    assert torch.all(w[1:] > w[:-1])  # rarer class, larger weight
    x, y = _inputs()
    for epoch in (0, 1, 159):
        loss.set_epoch(epoch)
        assert torch.equal(loss(x, y), class_balanced_loss(x, y))
    for epoch in (160, 161, 199):
        loss.set_epoch(epoch)
        assert torch.equal(loss(x, y), class_balanced_loss(x, y, w))
    always = ClassBalancedLoss(beta=0.9999, class_counts=COUNTS)  # drw_epoch=0
    assert torch.equal(always(x, y), class_balanced_loss(x, y, w))
    never = ClassBalancedLoss(beta=0.9999, drw_epoch=None, class_counts=COUNTS)
    never.set_epoch(199)
    assert torch.equal(never(x, y), class_balanced_loss(x, y))


def test_ce_drw_matches_weighted_cross_entropy():
    x, y = _inputs()
    loss = ClassBalancedLoss(beta=0.9999, drw_epoch=160, class_counts=COUNTS)
    loss.set_epoch(10)
    _assert_same(loss, lambda a, b: F.cross_entropy(a, b), x, y)
    loss.set_epoch(160)
    w = ref_cb_weights(COUNTS, 0.9999)
    _assert_same(loss, lambda a, b: F.cross_entropy(a, b, weight=w), x, y)
    # the head passes avg_factor=N: still the weighted mean of F.cross_entropy(weight=w)
    torch.testing.assert_close(loss(x, y, avg_factor=len(y)), F.cross_entropy(x, y, weight=w))
    # weighted_mean=False: MMPretrain CrossEntropyLoss(class_weight=w) semantics, sum(w l) / N
    plain = ClassBalancedLoss(beta=0.9999, class_counts=COUNTS, weighted_mean=False)
    mmp = MODELS.build(dict(type='CrossEntropyLoss', class_weight=w.tolist()))
    torch.testing.assert_close(plain(x, y, avg_factor=len(y)), mmp(x, y, avg_factor=len(y)))


# --- focal --------------------------------------------------------------------------------------
@pytest.mark.parametrize('gamma', [0.0, 0.5, 1.0, 2.0])
def test_softmax_focal_matches_reference(gamma):
    x, y = _inputs()
    _assert_same(SoftmaxFocalLoss(gamma=gamma), lambda a, b: ref_focal(a, b, gamma), x, y)
    w = ref_cb_weights(COUNTS, 0.999)
    cb = SoftmaxFocalLoss(gamma=gamma, beta=0.999, class_counts=COUNTS)
    _assert_same(cb, lambda a, b: ref_focal(a, b, gamma, w), x, y)
    cb2 = ClassBalancedLoss(beta=0.999, base='focal', gamma=gamma, class_counts=COUNTS)
    _assert_same(cb2, lambda a, b: ref_focal(a, b, gamma, w), x, y)


def test_softmax_focal_gamma0_is_ce_and_needs_no_counts():
    x, y = _inputs()
    torch.testing.assert_close(SoftmaxFocalLoss(gamma=0.)(x, y), F.cross_entropy(x, y))
    # confident correct predictions: finite loss and gradient even for gamma < 1
    x = torch.zeros(4, C)
    x[torch.arange(4), torch.arange(4)] = 200.
    x.requires_grad_(True)
    loss = SoftmaxFocalLoss(gamma=0.5)(x, torch.arange(4))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()


def test_softmax_focal_is_class_balanced_focal_without_weights():
    focal = MODELS.build(dict(type='SoftmaxFocalLoss', gamma=2.0))
    assert isinstance(focal, ClassBalancedLoss) and type(focal).__name__ == 'SoftmaxFocalLoss'
    assert (focal.base, focal.gamma, focal.beta, focal.drw_epoch) == ('focal', 2.0, None, 0)
    x, y = _inputs()
    assert torch.equal(focal(x, y), class_balanced_loss(x, y, base='focal', gamma=2.0))


# --- shared behaviour ----------------------------------------------------------------------------
ALL_LOSSES = [
    dict(type='BalancedSoftmaxLoss'),
    dict(type='LDAMLoss', drw_epoch=160),
    dict(type='ClassBalancedLoss'),
    dict(type='SoftmaxFocalLoss', beta=0.9999),
    dict(type='DBMLoss', base='bs'),
]


@pytest.mark.parametrize('cfg', ALL_LOSSES, ids=lambda c: c['type'])
def test_soft_labels_raise_clear_error(cfg):
    loss = MODELS.build(dict(cfg, class_counts=COUNTS))
    x, y = _inputs(cosine=True)
    soft = F.one_hot(y, C).float()
    with pytest.raises(ValueError, match='hard integer labels'):
        loss(x, soft)


@pytest.mark.parametrize('cfg', ALL_LOSSES, ids=lambda c: c['type'])
def test_count_mismatch_raises(cfg):
    # counts vs num_classes at build time
    with pytest.raises(ValueError, match='num_classes'):
        MODELS.build(dict(cfg, class_counts=COUNTS, num_classes=C + 1))
    # counts vs number of scores at forward time
    loss = MODELS.build(dict(cfg, class_counts=COUNTS[:-1]))
    loss.set_epoch(1000)
    x, y = _inputs(cosine=True)
    with pytest.raises(ValueError, match='num_classes mismatch'):
        loss(x, y)


@pytest.mark.parametrize('cfg', ALL_LOSSES, ids=lambda c: c['type'])
def test_missing_counts_raise(cfg):
    loss = MODELS.build(cfg)
    loss.set_epoch(1000)
    assert loss.needs_class_counts
    x, y = _inputs(cosine=True)
    with pytest.raises(RuntimeError, match='no class_counts'):
        loss(x, y)


@pytest.mark.parametrize('cfg', ALL_LOSSES, ids=lambda c: c['type'])
def test_state_dict_carries_class_counts(cfg):
    loss = MODELS.build(dict(cfg, class_counts=COUNTS))
    loss.set_epoch(1000)
    sd = loss.state_dict()
    assert sd['class_counts'].tolist() == COUNTS
    assert set(sd) == {'class_counts'}  # derived buffers are not saved
    fresh = MODELS.build(cfg)  # counts unknown when built, as before LongTailLossHook runs
    fresh.load_state_dict(sd)
    fresh.set_epoch(1000)
    x, y = _inputs(cosine=True)
    torch.testing.assert_close(fresh(x, y), loss(x, y))


@pytest.mark.parametrize('cfg', ALL_LOSSES, ids=lambda c: c['type'])
def test_new_counts_rederive_every_table(cfg):
    """set_class_counts and load_state_dict are the one invalidation of the cached tables."""
    other = [7, 3, 90, 40, 1, 12]
    x, y = _inputs(cosine=True)
    loss = MODELS.build(dict(cfg, class_counts=COUNTS))
    loss.set_class_counts(other)
    ref = MODELS.build(dict(cfg, class_counts=other))
    for epoch in (0, 1000):
        loss.set_epoch(epoch)
        ref.set_epoch(epoch)
        assert torch.equal(loss(x, y), ref(x, y))
    # a checkpoint's counts replace counts already set
    loaded = MODELS.build(dict(cfg, class_counts=COUNTS))
    loaded.load_state_dict(ref.state_dict())
    loaded.set_epoch(1000)
    assert torch.equal(loaded(x, y), ref(x, y))


@pytest.mark.parametrize('cfg', ALL_LOSSES, ids=lambda c: c['type'])
def test_counts_filled_from_dataset_by_hook(cfg, fake_runner):
    head = MODELS.build(dict(type='CosineClsHead', num_classes=C, in_channels=4, loss=cfg))
    model = torch.nn.Sequential(head)
    runner = fake_runner(model, counts=COUNTS)
    hook = LongTailLossHook()
    assert head.loss_module.needs_class_counts
    hook.before_run(runner)
    assert head.loss_module.class_counts.tolist() == COUNTS
    runner.epoch = 170
    hook.before_train_epoch(runner)
    assert head.loss_module.epoch == 170
    ref = MODELS.build(dict(cfg, class_counts=COUNTS))
    ref.set_epoch(170)
    x, y = _inputs(cosine=True)
    torch.testing.assert_close(head.loss_module(x, y), ref(x, y))
    # explicit counts are left alone
    explicit = MODELS.build(dict(type='CosineClsHead', num_classes=C, in_channels=4,
                                 loss=dict(cfg, class_counts=[1] * C)))
    hook.before_run(fake_runner(torch.nn.Sequential(explicit), counts=COUNTS))
    assert explicit.loss_module.class_counts.tolist() == [1] * C


def test_hook_count_mismatch_raises_early(fake_runner):
    head = MODELS.build(dict(type='CosineClsHead', num_classes=C + 2, in_channels=4,
                             loss=dict(type='DBMLoss')))
    with pytest.raises(ValueError, match='num_classes'):
        LongTailLossHook().before_run(fake_runner(torch.nn.Sequential(head), counts=COUNTS))


def test_bad_arguments():
    with pytest.raises(ValueError):
        ClassBalancedLoss(beta=1.0)
    with pytest.raises(ValueError):
        ClassBalancedLoss(base='sigmoid')
    with pytest.raises(ValueError):
        LDAMLoss(drw_epoch=-1)
    with pytest.raises(ValueError):
        BalancedSoftmaxLoss(reduction='avg')
    loss = BalancedSoftmaxLoss(class_counts=COUNTS)
    x, y = _inputs()
    with pytest.raises(ValueError, match='BalancedSoftmaxLoss: reduction_override'):
        loss(x, y, reduction_override='avg')


def test_losses_deepcopy_and_device_move():
    loss = DBMLoss(class_counts=COUNTS, base='drw')
    clone = copy.deepcopy(loss)
    clone.set_epoch(200)
    loss.set_epoch(200)
    x, y = _inputs(cosine=True)
    torch.testing.assert_close(clone(x, y), loss(x, y))
    moved = loss.to(torch.float64)  # buffers follow .to(); counts stay exact
    assert moved.class_counts.tolist() == COUNTS
