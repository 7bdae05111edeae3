"""DBMLoss against an independent reference, margins, hard positives, numerics at cos = ±1."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401
from mmltr.models.losses import DBMLoss, dbm_logits, dbm_loss

COUNTS = [5000, 2000, 900, 400, 150, 50]  # descending, like CIFAR-10-LT
C = len(COUNTS)


def _cosines(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    cos = torch.tanh(torch.randn(n, C, generator=g, dtype=torch.float64)).float()
    y = torch.randint(0, C, (n, ), generator=g)
    y[:C] = torch.arange(C)
    return cos, y


def ref_dbm(cos, y, counts, K=0.1, tau=1.0, s=32.0, lam=1.0, base='ce', weight=None):
    """Straight from the paper's Eqs. (6)-(9): margins normalised by n_min."""
    n = torch.tensor(counts, dtype=torch.float64)
    m_cls = (K * (n / n.min())**(-tau)).float()
    logits = []
    for i in range(cos.shape[0]):
        row = cos[i]
        yi = int(y[i])
        hard = float(int(row.argmax()) != yi)
        d = (1 - row[yi]) / 2
        m = m_cls[yi] + lam * hard * m_cls[yi] * d
        target = torch.cos(torch.acos(row[yi]) + m)
        logits.append(torch.cat([row[:yi], target[None], row[yi + 1:]]))
    logits = s * torch.stack(logits)
    if base == 'bs':
        logits = logits + torch.log(n / n.sum()).float()
    return F.cross_entropy(logits, y, weight=weight)


def _value_grad(fn, cos, y):
    cos = cos.clone().requires_grad_(True)
    loss = fn(cos, y)
    (g, ) = torch.autograd.grad(loss, cos)
    return loss.detach(), g


@pytest.mark.parametrize('base', ['ce', 'bs'])
@pytest.mark.parametrize('K,tau,lam', [(0.1, 1.0, 1.0), (0.3, 0.5, 2.0), (0.2, 1.0, 0.0)])
def test_dbm_matches_reference(base, K, tau, lam):
    cos, y = _cosines()
    loss = DBMLoss(class_counts=COUNTS, K=K, tau=tau, lambda_inst=lam, base=base)
    l1, g1 = _value_grad(loss, cos, y)
    l2, g2 = _value_grad(lambda c, t: ref_dbm(c, t, COUNTS, K, tau, 32.0, lam, base), cos, y)
    torch.testing.assert_close(l1, l2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(g1, g2, atol=1e-5, rtol=1e-5)


def test_dbm_drw_matches_reference_before_and_after_switch():
    cos, y = _cosines()
    loss = DBMLoss(class_counts=COUNTS, base='drw', drw_epoch=160)
    beta = 0.9999
    w = (1 - beta) / (1 - np.power(beta, np.asarray(COUNTS, dtype=np.float64)))
    w = torch.tensor(w / w.sum() * C, dtype=torch.float32)
    for epoch, weight in [(0, None), (159, None), (160, w), (199, w)]:
        loss.set_epoch(epoch)
        l1, g1 = _value_grad(loss, cos, y)
        l2, g2 = _value_grad(lambda c, t: ref_dbm(c, t, COUNTS, weight=weight), cos, y)
        torch.testing.assert_close(l1, l2, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(g1, g2, atol=1e-5, rtol=1e-5)
    # DRW weights never apply to the 'ce' / 'bs' bases
    for base in ('ce', 'bs'):
        other = DBMLoss(class_counts=COUNTS, base=base, drw_epoch=0)
        other.set_epoch(199)
        l1, g1 = _value_grad(other, cos, y)
        l2, g2 = _value_grad(lambda c, t: ref_dbm(c, t, COUNTS, base=base), cos, y)
        torch.testing.assert_close(l1, l2, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(g1, g2, atol=1e-5, rtol=1e-5)


def test_margins_at_the_extremes():
    loss = DBMLoss(class_counts=COUNTS, K=0.1, tau=1.0)
    m = loss.class_margins
    assert m[-1].item() == pytest.approx(0.1)  # rarest class gets exactly K
    assert m[0].item() == pytest.approx(0.1 * 50 / 5000)  # head ≈ K n_min / n_max
    assert torch.all(m[1:] > m[:-1])
    # unsorted label order (ImageNet-LT / iNat): still normalised by n_min, not by the last class
    shuffled = [400, 50, 5000, 150, 2000, 900]
    m2 = DBMLoss(class_counts=shuffled, K=0.1).class_margins
    assert m2.max().item() == pytest.approx(0.1) and int(m2.argmax()) == 1
    assert m2[2].item() == pytest.approx(0.1 * 50 / 5000)
    # CIFAR-100-LT IF100 numbers quoted by the paper: tail 0.1, head 0.001
    m3 = DBMLoss(class_counts=[500] + [100] * 98 + [5]).class_margins
    assert m3[0].item() == pytest.approx(0.001) and m3[-1].item() == pytest.approx(0.1)


def test_hard_positive_rule_and_instance_margin():
    loss = DBMLoss(class_counts=[100, 100, 100], K=0.2, scale=1.0, lambda_inst=1.0)
    # sample 0: correctly classified (easy); sample 1: misclassified (hard)
    cos = torch.tensor([[0.6, 0.2, 0.1], [0.3, 0.5, 0.1]])
    y = torch.tensor([0, 0])
    out = dbm_logits(cos, y, loss.class_margins, scale=1.0, lambda_inst=1.0)
    theta = torch.acos(torch.tensor([0.6, 0.3]))
    easy = torch.cos(theta[0] + 0.2)
    hard = torch.cos(theta[1] + 0.2 * (1 + (1 - 0.3) / 2))
    torch.testing.assert_close(out[:, 0], torch.stack([easy, hard]))
    torch.testing.assert_close(out[:, 1:], cos[:, 1:])  # non-targets untouched
    # the rule uses the raw cosines: with base='bs' a tail sample is hard even if the log prior
    # would have made its adjusted logit the largest
    bs = DBMLoss(class_counts=[1000, 10], K=0.1, scale=32.0, base='bs')
    cos = torch.tensor([[0.50, 0.45]])
    y = torch.tensor([0])
    assert torch.isclose(dbm_logits(cos, y, bs.class_margins)[0, 0],
                         32 * torch.cos(torch.acos(torch.tensor(0.5)) + 0.001))
    y = torch.tensor([1])  # raw argmax 0 != 1: hard, although 32*0.45+log p never enters the rule
    expect = 32 * torch.cos(torch.acos(torch.tensor(0.45)) + 0.1 * (1 + 0.55 / 2))
    assert torch.isclose(dbm_logits(cos, y, bs.class_margins)[0, 1], expect)


def test_lambda_zero_is_class_margin_only_and_K_zero_is_cosine_ce():
    cos, y = _cosines()
    lam0 = DBMLoss(class_counts=COUNTS, lambda_inst=0.0)
    ref = ref_dbm(cos, y, COUNTS, lam=0.0)
    torch.testing.assert_close(lam0(cos, y), ref, atol=1e-5, rtol=1e-5)
    k0 = DBMLoss(class_counts=COUNTS, K=0.0, scale=32.0)
    torch.testing.assert_close(k0(cos, y), F.cross_entropy(32 * cos, y), atol=1e-4, rtol=1e-5)


def test_margin_is_differentiable_in_cos_y_but_mask_is_not():
    loss = DBMLoss(class_counts=[100, 10], K=0.1, scale=1.0)
    cos = torch.tensor([[0.7, 0.2]], requires_grad=True)  # class 1 sample, hard
    y = torch.tensor([1])
    out = dbm_logits(cos, y, loss.class_margins, scale=1.0)
    (g, ) = torch.autograd.grad(out[0, 1], cos)
    c = torch.tensor(0.2, dtype=torch.float64)
    # d/dc cos(acos(c) + m(c)), m(c) = K (1 + (1 - c)/2)
    m = 0.1 * (1 + (1 - c) / 2)
    th = torch.acos(c)
    expect = -torch.sin(th + m) * (-1 / torch.sqrt(1 - c**2) - 0.1 / 2)
    assert g[0, 1].item() == pytest.approx(expect.item(), rel=1e-5)
    assert g[0, 0].item() == 0.0  # no gradient through the argmax/hard mask


@pytest.mark.parametrize('base', ['ce', 'bs', 'drw'])
def test_finite_loss_and_grads_at_cos_pm1(base):
    loss = DBMLoss(class_counts=COUNTS, base=base, drw_epoch=0)
    cos = torch.tensor([[1.0, -1.0, 0.0, 0.0, 0.0, 0.0],   # target at +1 (easy)
                        [1.0, -1.0, 0.0, 0.0, 0.0, 0.0],   # target at -1 (hard)
                        [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0],
                        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]],
                       requires_grad=True)
    y = torch.tensor([0, 1, 2, 5])
    out = loss(cos, y)
    out.backward()
    assert torch.isfinite(out)
    assert torch.isfinite(cos.grad).all()
    # half precision inputs too (the head gives fp32, but the loss must not rely on it)
    half = cos.detach().half().requires_grad_(True)
    out = loss(half, y)
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(half.grad).all()


def test_dbm_registry_defaults_and_scale():
    loss = MODELS.build(dict(type='DBMLoss'))
    assert (loss.K, loss.tau, loss.scale, loss.lambda_inst, loss.base, loss.drw_epoch,
            loss.beta, loss.reduction, loss.loss_weight) == (0.1, 1.0, 32.0, 1.0, 'ce', 160,
                                                             0.9999, 'mean', 1.0)
    assert DBMLoss.expects_cosine
    with pytest.raises(ValueError, match='base'):
        DBMLoss(base='ldam')
    with pytest.raises(ValueError, match='tau must be >= 0'):
        DBMLoss(tau=-0.5)  # would give the most frequent class the largest margin
    with pytest.raises(ValueError, match='raw cosine'):
        DBMLoss(class_counts=COUNTS)(torch.randn(4, C) * 10, torch.arange(4))


def test_dbm_weight_and_avg_factor():
    cos, y = _cosines()
    loss = DBMLoss(class_counts=COUNTS, base='bs')
    per = loss(cos, y, reduction_override='none')
    w = torch.rand(len(y))
    torch.testing.assert_close(loss(cos, y, weight=w, avg_factor=5.), (w * per).sum() / 5.)
    torch.testing.assert_close(loss(cos, y, avg_factor=len(y)), per.mean())


def test_function_equals_module():
    """The thin module adds checks and the count-derived tables, nothing else (bit-identical)."""
    cos, y = _cosines()
    for base in ('ce', 'bs', 'drw'):
        loss = DBMLoss(class_counts=COUNTS, base=base, drw_epoch=1, K=0.2, lambda_inst=0.5)
        loss.set_epoch(1)
        n = torch.tensor(COUNTS, dtype=torch.float64)
        ref = dbm_loss(cos, y, (0.2 * (n / n.min())**-1.0).float(),
                       log_prior=torch.log(n / n.sum()).float() if base == 'bs' else None,
                       class_weight=loss.cb_weights if base == 'drw' else None, lambda_inst=0.5)
        assert torch.equal(loss(cos, y), ref)
