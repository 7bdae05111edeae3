"""GHMCWAPLoss: hand-computed regions/weights/margins, region updates, resume, DDP (gloo)."""
import io
import math
import os.path as osp

import pytest
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

import mmltr  # noqa: F401  (registers the loss)
from mmltr.models.losses import GHMCWAPLoss

E = math.e


def logits_for_g(g, label, num_classes=2):
    """Two-class logits whose target probability is exactly 1 - g (no margin applied)."""
    z = [0.0] * num_classes
    z[1 - label] = math.log(g / (1.0 - g))
    return z


def feed_none(loss, gs, labels):
    """Per-sample losses of samples with prescribed g (two classes, margins zero)."""
    z = torch.tensor([logits_for_g(g, y) for g, y in zip(gs, labels)])
    return loss(z, torch.tensor(labels), reduction_override='none')


def feed(loss, gs, labels):
    """One forward of samples with prescribed g (two classes, margins zero)."""
    z = torch.tensor([logits_for_g(g, y) for g, y in zip(gs, labels)])
    return loss(z, torch.tensor(labels), avg_factor=len(labels))


# -- reduces to cross-entropy ------------------------------------------------------------------
def test_both_switches_off_is_exactly_ce():
    from mmpretrain.models.losses import CrossEntropyLoss
    torch.manual_seed(0)
    C = 7
    loss = GHMCWAPLoss(C, use_intra=False, use_inter=False)  # no class counts needed
    ref = CrossEntropyLoss()
    for epoch in range(2):  # before and after a histogram exists
        z = torch.randn(32, C, requires_grad=True)
        z_ref = z.detach().clone().requires_grad_()
        y = torch.randint(0, C, (32,))
        out = loss(z, y, avg_factor=32)
        out_ref = ref(z_ref, y, avg_factor=32)
        out.backward()
        out_ref.backward()
        assert torch.equal(out, out_ref)
        assert torch.equal(z.grad, z_ref.grad)
        torch.testing.assert_close(out, F.cross_entropy(z.detach(), y))
        loss.on_train_epoch_end()
    assert bool(loss.has_hist)


# -- hand-computed example ---------------------------------------------------------------------
# bins N = 3, fine bins F = 30 (10 per uniform region), floor m = 1 fine bin, alpha 0.9, gamma 0.8.
G0 = [0.01, 0.02, 0.05, 0.05, 0.31, 0.51, 0.95]  # class 0 -> fine bins 0 0 1 1 9 15 28
G1 = [0.51]  # class 1 -> fine bin 15
ALPHA, GAMMA, N, FB = 0.9, 0.8, 3, 30


def hand_new_edges(v, rule='log_e'):
    """d ∝ 1/log(e+v) (or the literal 1/log v, log v clamped to >= 0.01), m=1 fine bin per
    region, the rest shared by the rounded cumulative sum."""
    if rule == 'log_e':
        inv = [1.0 / math.log(E + x) for x in v]
    else:
        inv = [1.0 / max(math.log(x) if x > 0 else -math.inf, 0.01) for x in v]
    share = [x / sum(inv) for x in inv]
    free, acc, cum = FB - N * 1, 0.0, [0]
    for s in share:
        acc += s
        cum.append(round(acc * free))
    cum[-1] = free
    return [cum[i] + i for i in range(N + 1)]


def hand_tables(fine_bins_of_samples, edges):
    counts = [sum(1 for j in fine_bins_of_samples if edges[i] <= j < edges[i + 1])
              for i in range(N)]
    widths = [(edges[i + 1] - edges[i]) / FB for i in range(N)]
    v = [c / (N * d) for c, d in zip(counts, widths)]
    S = sum(x ** ALPHA for x in v if x > 0)
    vq = [x if c > 0 else 1.0 / (N * d) for x, c, d in zip(v, counts, widths)]
    raw = [S / x ** ALPHA for x in vq]
    Z = sum(c * r for c, r in zip(counts, raw)) / sum(counts)
    W = [min(r / Z, 10.0) for r in raw]
    return counts, v, S, W


def hand_raw(fine_bins_of_samples, edges):
    """Eq. 1 as written, W = S_c / v^alpha (an empty region counts as one sample)."""
    counts, v, S, _ = hand_tables(fine_bins_of_samples, edges)
    widths = [(edges[i + 1] - edges[i]) / FB for i in range(N)]
    return [S / (x if c > 0 else 1.0 / (N * d)) ** ALPHA for x, c, d in zip(v, counts, widths)]


def test_hand_computed_regions_weights_and_margins():
    # intra_norm='epoch': the weights are normalised over the previous epoch's histogram
    loss = GHMCWAPLoss(2, bins=N, fine_bins=FB, alpha=ALPHA, gamma=GAMMA, class_counts=[1, 1],
                       intra_norm='epoch', max_weight=10.0)
    loss.train()
    # equal counts -> S_0 = S_1 -> zero margins in the first epoch, so g is exactly as prescribed
    feed(loss, G0 + G1, [0] * len(G0) + [1])
    fine0 = [int(g * FB) for g in G0]
    assert fine0 == [0, 0, 1, 1, 9, 15, 28]
    assert loss.fine_hist[0].nonzero().flatten().tolist() == [0, 1, 9, 15, 28]
    assert loss.fine_hist[0, 0] == 2 and loss.fine_hist[1, 15] == 1

    loss.on_train_epoch_end()
    # Algorithm 1 on the uniform regions [0,10) [10,20) [20,30): v = counts / (N·1/3) = counts
    e0, e1 = hand_new_edges([5, 1, 1]), hand_new_edges([0, 1, 0])
    assert e0 == [0, 8, 19, 30] and e1 == [0, 11, 19, 30]  # dense first region shrinks
    assert loss.edge_idx.tolist() == [e0, e1]
    # the fine histogram is re-binned into the new regions: g = 0.31 (fine bin 9) moved region
    c0, v0, S0, W0 = hand_tables(fine0, e0)
    c1, v1, S1, W1 = hand_tables([15], e1)
    assert c0 == [4, 2, 1] and c1 == [0, 1, 0]
    assert loss.region_counts.tolist() == [c0, c1]
    torch.testing.assert_close(loss.region_values, torch.tensor([v0, v1]))
    torch.testing.assert_close(loss.eff_num, torch.tensor([S0, S1]))
    torch.testing.assert_close(loss.weight_table, torch.tensor([W0, W1]))
    # literal values: v0 = [4/0.8, 2/1.1, 1/1.1]; class 1's empty regions hold "one sample"
    torch.testing.assert_close(loss.region_values[0], torch.tensor([5.0, 20 / 11, 10 / 11]))
    torch.testing.assert_close(loss.weight_table[1],
                               torch.tensor([(1.25 * 1.1) ** ALPHA, 1.0, (1.25 * 1.1) ** ALPHA]))
    # per-class mean weight over the histogram is 1
    assert abs(sum(c * w for c, w in zip(c0, W0)) / sum(c0) - 1) < 1e-12
    assert loss.fine_hist.sum() == 0

    # second epoch: margins from S, weights from the table, looked up by g after the margin
    samples = [([2.0, 0.5], 0), ([0.0, 1.0], 0), ([-1.0, 2.5], 0), ([0.3, 0.1], 1), ([1.0, 3.0], 1)]
    S = [S0, S1]
    W = [W0, W1]
    E_ = [e0, e1]
    expected = []
    for z, y in samples:
        n = 1 - y
        M = GAMMA * min(0.0, math.log(S[n]) - math.log(S[y]))
        zz = list(z)
        zz[n] += M
        ce = math.log(math.exp(zz[0]) + math.exp(zz[1])) - zz[y]
        g = 1.0 - math.exp(-ce)
        assert abs(g * FB - round(g * FB)) > 1e-3  # not on a fine-bin boundary
        j = int(g * FB)
        region = max(i for i in range(N) if E_[y][i] <= j)
        expected.append(W[y][region] * ce)
    assert S0 > S1  # class 0 samples press less on class 1; class 1 samples are untouched
    z = torch.tensor([s[0] for s in samples], requires_grad=True)
    y = torch.tensor([s[1] for s in samples])
    out = loss(z, y, reduction_override='none')
    torch.testing.assert_close(out, torch.tensor(expected), rtol=1e-5, atol=1e-6)
    mean = loss(z, y, avg_factor=len(samples))
    torch.testing.assert_close(mean, torch.tensor(sum(expected) / len(expected)), rtol=1e-5,
                               atol=1e-6)


def test_default_clamp_only_lowers_weights():
    """Default max_weight=1: the batch_grad-normalised weights of the hand-computed case, each
    capped at 1 (no renormalisation), so no sample weighs more than in cross-entropy."""
    loss = GHMCWAPLoss(2, bins=N, fine_bins=FB, alpha=ALPHA, gamma=0.0, class_counts=[1, 1])
    assert loss.max_weight == 1.0 and loss.intra_norm == 'batch_grad'
    loss.train()
    feed(loss, G0 + G1, [0] * len(G0) + [1])
    loss.on_train_epoch_end()
    raw0 = hand_raw([int(g * FB) for g in G0], hand_new_edges([5, 1, 1]))
    gs, ys = [0.02, 0.03, 0.9, 0.4], [0, 0, 0, 1]
    raw = [raw0[0], raw0[0], raw0[2]]
    scale0 = sum(gs[:3]) / sum(r * g for r, g in zip(raw, gs[:3]))
    unclamped = [r * scale0 for r in raw] + [1.0]
    assert max(unclamped) > 1  # the cap matters in this case
    feed_none(loss, gs, ys)
    torch.testing.assert_close(loss.last_sample_weights,
                               torch.tensor([min(1.0, w) for w in unclamped]))


@pytest.mark.parametrize('intra_norm', ['batch', 'batch_grad', 'none'])
def test_hand_computed_batch_normalised_and_literal_weights(intra_norm):
    loss = GHMCWAPLoss(2, bins=N, fine_bins=FB, alpha=ALPHA, gamma=0.0, class_counts=[1, 1],
                       intra_norm=intra_norm, max_weight=None)
    loss.train()
    feed(loss, G0 + G1, [0] * len(G0) + [1])
    loss.on_train_epoch_end()
    e0, e1 = hand_new_edges([5, 1, 1]), hand_new_edges([0, 1, 0])
    raw0, raw1 = hand_raw([int(g * FB) for g in G0], e0), hand_raw([15], e1)
    # next batch: class 0 in regions 0, 0, 2 (fine bins 0, 0, 27), class 1 in region 1 (12)
    gs, ys = [0.02, 0.03, 0.9, 0.4], [0, 0, 0, 1]
    raw = [raw0[0], raw0[0], raw0[2], raw1[1]]
    if intra_norm == 'batch':  # each class's weights sum to its count in the batch
        scale0 = 3 / (2 * raw0[0] + raw0[2])
        expected_w = [raw[0] * scale0, raw[1] * scale0, raw[2] * scale0, 1.0]
        assert abs(sum(expected_w[:3]) - 3) < 1e-12
    elif intra_norm == 'batch_grad':  # the weighted gradient norms sum to the unweighted ones
        scale0 = sum(gs[:3]) / sum(r * g for r, g in zip(raw[:3], gs[:3]))
        expected_w = [raw[0] * scale0, raw[1] * scale0, raw[2] * scale0, 1.0]
        assert abs(sum(w * g for w, g in zip(expected_w, gs)) - sum(gs)) < 1e-12
    else:  # Eq. 1 as written: head-heavy, unnormalised
        expected_w = raw
    out = feed_none(loss, gs, ys)
    torch.testing.assert_close(loss.last_sample_weights, torch.tensor(expected_w))
    ce = [-math.log(1 - g) for g in gs]
    torch.testing.assert_close(out, torch.tensor([w * c for w, c in zip(expected_w, ce)]))


def test_momentum_density_and_weights_by_hand():
    mu = 0.75
    loss = GHMCWAPLoss(2, bins=N, fine_bins=FB, alpha=ALPHA, gamma=0.0, class_counts=[1, 1],
                       momentum=mu, max_weight=None, intra_norm='batch')
    feed(loss, G0 + G1, [0] * len(G0) + [1])
    loss.on_train_epoch_end()
    e0 = hand_new_edges([5, 1, 1])
    c0 = hand_tables([int(g * FB) for g in G0], e0)[0]
    share0 = [c / sum(c0) for c in c0]  # the epoch's shares start the running density
    torch.testing.assert_close(loss.density[0], torch.tensor(share0))
    for gs in ([0.02, 0.03, 0.9], [0.02, 0.5, 0.6, 0.7]):  # class-0 batches (regions by e0)
        regions = [max(i for i in range(N) if e0[i] <= int(g * FB)) for g in gs]
        batch = [regions.count(i) / len(gs) for i in range(N)]
        share0 = [mu * d + (1 - mu) * b for d, b in zip(share0, batch)]
        raw = [(share0[r] / ((e0[r + 1] - e0[r]) / FB)) ** -ALPHA for r in regions]
        expected = [len(gs) * r / sum(raw) for r in raw]
        out = feed_none(loss, gs, [0] * len(gs))
        torch.testing.assert_close(loss.density[0], torch.tensor(share0))
        torch.testing.assert_close(loss.last_sample_weights, torch.tensor(expected))
        torch.testing.assert_close(out, torch.tensor([w * -math.log(1 - g)
                                                      for w, g in zip(expected, gs)]))
    assert loss.density[1].tolist() == [0.0, 1.0, 0.0]  # class 1 absent: unchanged
    with pytest.raises(ValueError, match="momentum must be in"):
        GHMCWAPLoss(2, momentum=0.75, intra_norm='epoch')


def test_batch_weights_clamped_after_normalisation():
    loss = GHMCWAPLoss(2, bins=N, fine_bins=FB, class_counts=[1, 1], use_inter=False,
                       max_weight=2.0, intra_norm='batch').train()
    feed(loss, [0.01] * 20 + [0.95], [0] * 21)
    loss.on_train_epoch_end()
    feed(loss, [0.01] * 20 + [0.95], [0] * 21)
    w = loss.last_sample_weights
    assert w.max() == 2.0 and w.sum() < 21  # the rare hard sample hit the clamp
    # without the clamp the weights of the class sum to its count
    loss.max_weight = None
    feed(loss, [0.01] * 20 + [0.95], [0] * 21)
    torch.testing.assert_close(loss.last_sample_weights.sum(), torch.tensor(21.0))


def test_literal_aura_rule():
    loss = GHMCWAPLoss(2, bins=N, fine_bins=FB, class_counts=[1, 1], aura='log', max_weight=10.0)
    feed(loss, G0 + G1, [0] * len(G0) + [1])
    loss.on_train_epoch_end()
    # v = [5, 1, 1]: log 1 = 0 -> clamped to 0.01, so the two sparse regions take almost all
    e0, e1 = hand_new_edges([5, 1, 1], 'log'), hand_new_edges([0, 1, 0], 'log')
    assert e0 == [0, 1, 16, 30] and e1 == [0, 10, 20, 30]
    assert loss.edge_idx.tolist() == [e0, e1]


def test_first_epoch_margins_from_class_counts():
    loss = GHMCWAPLoss(3, class_counts=[100, 10, 0], alpha=0.5, gamma=0.8, max_weight=10.0)
    z = torch.tensor([[1.0, 0.5, -0.2], [0.2, 1.5, 0.3]])
    y = torch.tensor([0, 1])
    out = loss(z, y, reduction_override='none')
    s = [100 ** 0.5, 10 ** 0.5, 1e-12]  # empty class: S clamped to 1e-12
    expected = []
    for row, t in zip(z.tolist(), y.tolist()):
        zz = [row[n] + 0.8 * min(0.0, math.log(s[n]) - math.log(s[t])) for n in range(3)]
        expected.append(math.log(sum(math.exp(a) for a in zz)) - zz[t])  # W = 1: no histogram
    torch.testing.assert_close(out, torch.tensor(expected), rtol=1e-5, atol=1e-6)


# -- region updates ----------------------------------------------------------------------------
def _dense_low_g(loss, n_dense=2000, n_rest=60, seed=0):
    gen = torch.Generator().manual_seed(seed)
    g = torch.cat([torch.rand(n_dense, generator=gen) * 0.1,
                   0.1 + torch.rand(n_rest, generator=gen) * 0.9])
    g = g.clamp(1e-4, 1 - 1e-4)
    z = torch.stack([torch.zeros_like(g), torch.log(g / (1 - g))], dim=1)
    loss(z, torch.zeros(len(g), dtype=torch.long))


@pytest.mark.parametrize('adaptive', [True, False])
def test_widths_sum_to_one_and_shrink_where_dense(adaptive):
    """Algorithm 1 reassigns widths by region index: region i's new width falls with the value v_i
    it had; iterated over epochs, the dense part [0, 0.1) gets covered by narrow regions."""
    loss = GHMCWAPLoss(2, class_counts=[5, 5], use_inter=False, adaptive_bins=adaptive,
                       max_weight=10.0)
    uniform = loss.edge_idx.clone()
    for epoch in range(4):
        old_fine = loss.fine_hist.clone()
        _dense_low_g(loss, seed=epoch)
        fine = loss.fine_hist[0] - old_fine[0]
        old_edges, old_w = loss.edge_idx[0].tolist(), loss.widths[0].tolist()
        v_old = [float(fine[a:b].sum()) / (30 * w)
                 for a, b, w in zip(old_edges[:-1], old_edges[1:], old_w)]
        loss.on_train_epoch_end()
        w = loss.widths
        torch.testing.assert_close(w.sum(1), torch.ones(2, dtype=torch.float64), rtol=0, atol=1e-12)
        assert (loss.edge_idx[:, -1] == loss.fine_bins).all() and (w >= 1 / loss.fine_bins).all()
        if not adaptive:
            assert torch.equal(loss.edge_idx, uniform)  # URA keeps the uniform regions
            continue
        k = loss.edge_idx[0].diff().tolist()  # new widths in fine bins
        for i in range(30):
            for j in range(30):
                if v_old[i] > v_old[j]:
                    assert k[i] <= k[j] + 1  # denser -> narrower (±1 fine bin of rounding)
        assert torch.equal(loss.edge_idx[1], uniform[1])  # class without samples: uniform
    if adaptive:  # after 4 epochs: [0, 0.1) is split finer than the uniform 3 regions
        inside = loss.region_edges[0, 1:] <= 0.1
        assert int(inside.sum()) >= 6 and w[0][inside].mean() < 0.5 / 30
    # region counts are a complete histogram of the epoch on the current regions
    assert loss.region_counts[0].sum() == 2060 and loss.region_counts[1].sum() == 0


# -- robustness --------------------------------------------------------------------------------
def test_finite_with_empty_classes_absent_classes_and_extreme_g():
    C = 4
    loss = GHMCWAPLoss(C, class_counts=[50, 0, 5, 1], max_weight=10.0)  # class 1 has no images
    for epoch in range(3):
        z = torch.tensor([[60.0, -60.0, 0.0, 0.0],     # g == 0 exactly (class 0)
                          [-60.0, 0.0, 60.0, 0.0],     # g == 1 exactly (class 0)
                          [0.0, 0.0, 0.0, 0.0],        # class 2
                          [1.0, 2.0, 3.0, -4.0]], requires_grad=True)
        y = torch.tensor([0, 0, 2, 2])                 # classes 1 and 3 absent from the batch
        out = loss(z, y, avg_factor=4)
        out.backward()
        assert torch.isfinite(out) and torch.isfinite(z.grad).all()
        loss.on_train_epoch_end()
        for name in ('region_values', 'weight_table', 'eff_num'):
            assert torch.isfinite(getattr(loss, name)).all(), name
    assert loss.fine_hist.sum() == 0
    assert loss.weight_table[1].eq(1).all() and loss.eff_num[1] == 0  # unseen class: W=1, S=0
    assert loss.weight_table.max() <= 10.0
    # a sample of a class never seen in the histogram, and an epoch with no samples at all
    out = loss(torch.zeros(1, C, requires_grad=True), torch.tensor([1]))
    assert torch.isfinite(out)
    before = {k: v.clone() for k, v in loss.state_dict().items()}
    loss.fine_hist.zero_()
    loss.on_train_epoch_end()
    assert all(torch.equal(before[k], v) for k, v in loss.state_dict().items() if k != 'fine_hist')


def test_eval_mode_does_not_accumulate_and_errors():
    loss = GHMCWAPLoss(3, class_counts=[3, 2, 1]).eval()
    loss(torch.randn(5, 3), torch.tensor([0, 1, 2, 0, 1]))
    assert loss.fine_hist.sum() == 0
    loss.train()(torch.randn(5, 3), torch.tensor([0, 1, 2, 0, 1]))
    assert loss.fine_hist.sum() == 5
    with pytest.raises(ValueError, match='hard integer labels'):
        loss(torch.randn(2, 3), torch.rand(2, 3))
    with pytest.raises(ValueError, match='num_classes'):
        loss(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match='class_counts'):
        GHMCWAPLoss(3)(torch.randn(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='multiple'):
        GHMCWAPLoss(3, bins=30, fine_bins=100)


# -- state -------------------------------------------------------------------------------------
def test_state_dict_round_trip():
    torch.manual_seed(0)
    loss = GHMCWAPLoss(5, bins=10, fine_bins=100, class_counts=[40, 20, 10, 5, 2])
    for _ in range(2):
        loss(torch.randn(64, 5) * 2, torch.randint(0, 5, (64,)))
        loss.on_train_epoch_end()
    loss(torch.randn(64, 5) * 2, torch.randint(0, 5, (64,)))  # partial epoch
    buf = io.BytesIO()
    torch.save(loss.state_dict(), buf)
    buf.seek(0)
    fresh = GHMCWAPLoss(5, bins=10, fine_bins=100)  # counts come from the checkpoint
    fresh.load_state_dict(torch.load(buf))
    for k, v in loss.state_dict().items():
        assert torch.equal(v, fresh.state_dict()[k]), k
    assert fresh._hist_ready and int(fresh.num_updates) == 2
    z, y = torch.randn(16, 5), torch.randint(0, 5, (16,))
    assert torch.equal(loss(z, y), fresh(z, y))
    # a partial histogram found at an epoch start (mid-epoch checkpoint, epoch restarted) is dropped
    assert fresh.fine_hist.sum() > 0
    fresh.set_epoch(2)
    assert fresh.fine_hist.sum() == 0 and fresh.epoch == 2


class _Tiny(nn.Module):

    def __init__(self, counts):
        super().__init__()
        self.fc = nn.Linear(8, len(counts))
        self.loss = GHMCWAPLoss(len(counts), bins=10, fine_bins=200, class_counts=counts)

    def forward(self, x, y):
        return self.loss(self.fc(x), y, avg_factor=x.size(0))


def _data():
    gen = torch.Generator().manual_seed(0)
    counts = [40, 24, 14, 8, 6]
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    x = torch.randn(len(y), 8, generator=gen) + y.unsqueeze(1).float() * 0.3
    return x, y, counts


def _run(model, opt, x, y, start, stop, bs=16):
    """Train iterations [start, stop) of a fixed schedule; epoch ends are closed on the way."""
    losses = []
    per_epoch = (len(y) + bs - 1) // bs
    for it in range(start, stop):
        epoch, k = divmod(it, per_epoch)
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(100 + epoch))
        idx = order[k * bs:(k + 1) * bs]
        opt.zero_grad()
        out = model(x[idx], y[idx])
        out.backward()
        opt.step()
        losses.append(out.detach())
        if k == per_epoch - 1:
            model.loss.on_train_epoch_end()
    return losses


def test_resume_mid_training_continues_identically():
    torch.manual_seed(0)
    x, y, counts = _data()
    per_epoch = (len(y) + 15) // 16  # 6 iterations
    model = _Tiny(counts)
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    split, total = per_epoch + 3, 3 * per_epoch  # checkpoint in the middle of epoch 2 of 3
    _run(model, opt, x, y, 0, split)
    assert model.loss._hist_ready and model.loss.fine_hist.sum() == 48
    ckpt = io.BytesIO()
    torch.save({'model': model.state_dict(), 'opt': opt.state_dict()}, ckpt)
    tail = _run(model, opt, x, y, split, total)

    ckpt.seek(0)
    state = torch.load(ckpt)
    model2 = _Tiny([1] * len(counts))
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
    model2.load_state_dict(state['model'])
    opt2.load_state_dict(state['opt'])
    tail2 = _run(model2, opt2, x, y, split, total)
    assert len(tail) == 2 * per_epoch - 3
    assert all(torch.equal(a, b) for a, b in zip(tail, tail2))
    for k, v in model.state_dict().items():
        assert torch.equal(v, model2.state_dict()[k]), k
    assert int(model2.loss.num_updates) == 3


# -- with MMEngine's Runner and LongTailLossHook ------------------------------------------------
class _ToySet(torch.utils.data.Dataset):
    metainfo = dict(classes=('a', 'b', 'c', 'd'), class_counts=(24, 12, 8, 4))

    def __init__(self):
        gen = torch.Generator().manual_seed(0)
        counts = self.metainfo['class_counts']
        self.y = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
        self.x = torch.randn(len(self.y), 6, generator=gen) + self.y.unsqueeze(1) * 0.4

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], data_samples=self.y[i])


def _toy_runner(work_dir, name, max_epochs, resume_from=None):
    from mmengine.dataset import DefaultSampler
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class ToyModel(BaseModel):

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 4)
            self.loss = GHMCWAPLoss(4, bins=6, fine_bins=60)  # counts come from the hook

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.fc(inputs)
            if mode == 'loss':
                return dict(loss=self.loss(out, data_samples, avg_factor=out.size(0)))
            return out

    ds = _ToySet()
    loader = torch.utils.data.DataLoader(ds, batch_size=10, sampler=DefaultSampler(ds, seed=0))
    return Runner(
        model=ToyModel(), work_dir=str(work_dir), experiment_name=name,
        train_dataloader=loader, train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9)),
        custom_hooks=[dict(type='LongTailLossHook')],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=100)),
        default_scope='mmpretrain', randomness=dict(seed=0),
        load_from=resume_from, resume=resume_from is not None, log_level='WARNING')


def test_runner_hook_drives_epochs_and_resume_restores_state(tmp_path):
    full = _toy_runner(tmp_path / 'full', 'ghm_full', 3)
    full.train()
    loss = full.model.loss
    assert int(loss.num_updates) == 3 and loss.fine_hist.sum() == 0
    assert loss.class_counts.tolist() == [24, 12, 8, 4]  # filled by LongTailLossHook
    assert loss.region_counts.sum() == 48
    # the epoch-2 checkpoint holds the state after two epoch ends (the hook runs before saving)
    ckpt = torch.load(tmp_path / 'full' / 'epoch_2.pth', weights_only=False)
    assert int(ckpt['state_dict']['loss.num_updates']) == 2
    resumed = _toy_runner(tmp_path / 'resumed', 'ghm_resumed', 3,
                          resume_from=str(tmp_path / 'full' / 'epoch_2.pth'))
    resumed.train()
    a, b = full.model.state_dict(), resumed.model.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k


# -- DDP (gloo, 2 processes) -------------------------------------------------------------------
def _batches(num_classes=6, n_batches=8, bs=24):
    gen = torch.Generator().manual_seed(1)
    out = []
    for _ in range(n_batches):
        y = torch.randint(0, num_classes, (bs,), generator=gen)
        z = torch.randn(bs, num_classes, generator=gen) * 2 + F.one_hot(y, num_classes) * 1.5
        out.append((z, y))
    return out


_STATE_KEYS = ('edge_idx', 'region_counts', 'region_values', 'weight_table', 'eff_num',
               'density')
_COUNTS = [30, 20, 12, 8, 4, 2]


def _ddp_epochs(loss, batches, rank, world, epochs=2):
    """Each step's global batch is one of ``batches``; rank r takes rows r::world of it."""
    result = []
    for _ in range(epochs):
        losses = [loss(z[rank::world], y[rank::world], reduction_override='none').detach()
                  for z, y in batches]
        loss.on_train_epoch_end()
        result.append(({k: getattr(loss, k).clone() for k in _STATE_KEYS}, losses))
    return result


def _ddp_worker(rank, world, port, out_dir, options):
    import torch.distributed as tdist
    # A forked child must not enter OpenMP: the parent's thread pool does not exist here, and
    # libgomp can wait for it forever (seen when the parent ran parallel ops just before forking).
    torch.set_num_threads(1)
    tdist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                             world_size=world)
    try:
        loss = GHMCWAPLoss(6, bins=10, fine_bins=200, class_counts=_COUNTS, **options)
        torch.save(_ddp_epochs(loss, _batches(), rank, world), osp.join(out_dir, f'rank{rank}.pth'))
    finally:
        tdist.destroy_process_group()


@pytest.mark.parametrize('options', [dict(), dict(intra_norm='batch'), dict(intra_norm='epoch'),
                                     dict(momentum=0.75)])
def test_two_process_gloo_matches_single_process(tmp_path, free_port, options):
    """2 processes with half of each global batch = 1 process with the whole batch: the same
    histograms, regions and tables, and the same per-sample losses (the in-batch normalisation
    sums the classes' weights over both ranks)."""
    # fork: the children inherit the imported modules (spawn re-imports torch/mmpretrain: slow)
    mp.start_processes(_ddp_worker, args=(2, free_port, str(tmp_path), options), nprocs=2,
                       join=True, start_method='fork')
    single = _ddp_epochs(GHMCWAPLoss(6, bins=10, fine_bins=200, class_counts=_COUNTS, **options),
                         _batches(), 0, 1)
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]
    for epoch in range(2):
        ref_state, ref_losses = single[epoch]
        assert ref_state['region_counts'].sum() == 8 * 24
        for rank, res in enumerate(ranks):
            state, losses = res[epoch]
            for k in _STATE_KEYS:
                assert torch.equal(state[k], ref_state[k]), (epoch, rank, k)
            for a, b in zip(losses, ref_losses):
                torch.testing.assert_close(a, b[rank::2], rtol=1e-6, atol=0)
