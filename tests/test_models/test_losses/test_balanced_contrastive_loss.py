"""BalancedSupConLoss against a reference written from BCL's equations, a hand-computed case,
its argument checks, and 2 gloo processes against 1 (loss values and DDP gradients)."""
import math
import os.path as osp
from collections import Counter

import pytest
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401
from mmltr.models.losses import BalancedSupConLoss, balanced_contrastive_loss


def reference(features, labels, prototypes, temperature, averaging):
    """Per-anchor losses, view-major, straight from the paper's Eq.: for anchor i of class y
    with contrast set A(i) (all other views, plus the prototypes) and A_c(i) its members of
    class c, L_i = -mean_{p in A_y(i)} log(exp(z_i.z_p/T) / sum_c 1/|A_c(i)|
    sum_{k in A_c(i)} exp(z_i.z_k/T))."""
    m, v, _ = features.shape
    items = [(features[i, k], int(labels[i])) for k in range(v) for i in range(m)]
    if prototypes is not None:
        items += [(p, c) for c, p in enumerate(prototypes)]
    out = []
    for a in range(v * m):
        za, ya = items[a]
        others = [j for j in range(len(items)) if j != a]
        size = Counter(items[j][1] for j in others)
        denom = sum(torch.exp(za @ items[j][0] / temperature) /
                    (size[items[j][1]] if averaging else 1) for j in others)
        logp = [za @ items[j][0] / temperature - torch.log(denom) for j in others
                if items[j][1] == ya]
        out.append(-sum(logp) / len(logp))
    return torch.stack(out)


def _data(m=10, v=2, d=6, c=4, seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    feats = F.normalize(torch.randn(m, v, d, generator=g, dtype=torch.float64), dim=-1)
    labels = torch.randint(0, c, (m, ), generator=g)
    labels[:2] = 0  # a class with several instances, and (c = 4, m = 10) usually a missing one
    protos = F.normalize(torch.randn(c, d, generator=g, dtype=torch.float64), dim=-1)
    return feats.requires_grad_(requires_grad), labels, protos.requires_grad_(requires_grad)


@pytest.mark.parametrize('complement', [True, False])
@pytest.mark.parametrize('averaging', [True, False])
def test_matches_reference(complement, averaging):
    feats, labels, protos = _data(requires_grad=True)
    protos_in = protos if complement else None
    ours = balanced_contrastive_loss(feats, labels, protos_in, 0.1, averaging, reduction='none')
    ref = reference(feats, labels, protos_in, 0.1, averaging)
    torch.testing.assert_close(ours.double(), ref, rtol=1e-5, atol=1e-5)
    mean = balanced_contrastive_loss(feats, labels, protos_in, 0.1, averaging)
    torch.testing.assert_close(mean.double(), ref.mean(), rtol=1e-5, atol=1e-5)
    # gradients too (float32 inside the loss)
    grads = torch.autograd.grad(mean, [feats, protos] if complement else [feats])
    ref_grads = torch.autograd.grad(ref.mean(), [feats, protos] if complement else [feats])
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_anchor_subset_and_three_views():
    feats, labels, protos = _data(m=7, v=3, seed=3)
    full = balanced_contrastive_loss(feats, labels, protos, 0.2, reduction='none')
    torch.testing.assert_close(full.double(), reference(feats, labels, protos, 0.2, True),
                               rtol=1e-5, atol=1e-5)
    anchors = torch.tensor([1, 4, 5])
    part = balanced_contrastive_loss(feats, labels, protos, 0.2, anchors=anchors,
                                     reduction='none')
    rows = torch.cat([k * 7 + anchors for k in range(3)])
    torch.testing.assert_close(part, full[rows])


def test_hand_computed_case():
    """Instance 0 (class 0): views a = (1, 0), b = (0, 1); instance 1 (class 1): c = (1, 0),
    d = (-1, 0); no prototypes, T = 1. Anchor a: positive b (a.b = 0); class 0 holds {b}, class
    1 {c, d}: L_a = -log(1 / (1 + (e + 1/e) / 2)) = log(1 + cosh 1)."""
    feats = torch.tensor([[[1., 0.], [0., 1.]], [[1., 0.], [-1., 0.]]])
    labels = torch.tensor([0, 1])
    e = math.e
    expected = [
        math.log(1 + math.cosh(1)),  # a
        1 + math.log(1 / e + (e + 1) / 2),  # c: positive d (c.d = -1); class 0 {a, b}
        math.log(2),  # b: every product 0, so 1 / (1 + (1 + 1) / 2)
        1 + math.log(1 / e + (1 / e + 1) / 2),  # d: positive c (-1); class 0 {a (-1), b (0)}
    ]
    ours = balanced_contrastive_loss(feats, labels, None, 1.0, reduction='none')
    torch.testing.assert_close(ours, torch.tensor(expected))
    plain = balanced_contrastive_loss(feats, labels, None, 1.0, class_averaging=False,
                                      reduction='none')
    assert plain[0].item() == pytest.approx(math.log(1 + e + 1 / e), abs=1e-6)


def test_module_options_and_registry():
    feats, labels, protos = _data()
    loss = MODELS.build(dict(type='BalancedSupConLoss', temperature=0.1, loss_weight=0.5))
    assert loss.uses_prototypes
    expected = balanced_contrastive_loss(feats, labels, protos, 0.1)
    torch.testing.assert_close(loss(feats, labels, protos), 0.5 * expected)
    no_cc = BalancedSupConLoss(class_complement=False)
    assert not no_cc.uses_prototypes
    # prototypes are ignored without class-complement
    torch.testing.assert_close(no_cc(feats, labels, protos), no_cc(feats, labels))
    torch.testing.assert_close(no_cc(feats, labels),
                               balanced_contrastive_loss(feats, labels, None, 0.1))


@pytest.mark.parametrize('call,match', [
    (lambda f, y, p: BalancedSupConLoss()(f[:, 0], y, p), r'features must be \(N, views, dim\)'),
    (lambda f, y, p: BalancedSupConLoss()(f, F.one_hot(y, 4).float(), p), 'Soft labels'),
    (lambda f, y, p: BalancedSupConLoss()(f, y[:3], p), r'shape \(10,\)'),
    (lambda f, y, p: BalancedSupConLoss()(f, y), 'needs the class prototypes'),
    (lambda f, y, p: BalancedSupConLoss()(f, y, p[:, :3]), r'prototypes must be \(num_classes, 6'),
    (lambda f, y, p: BalancedSupConLoss(class_complement=False)(f[:, :1], y), 'at least 2 views'),
    (lambda f, y, p: BalancedSupConLoss(temperature=0), 'temperature must be positive'),
    (lambda f, y, p: BalancedSupConLoss(temperature='0.1'), 'temperature must be a number'),
    (lambda f, y, p: BalancedSupConLoss(reduction='avg'), 'reduction must be one of'),
])
def test_bad_input_errors(call, match):
    feats, labels, protos = _data()
    with pytest.raises((ValueError, TypeError), match=match):
        call(feats, labels, protos)


# -- DDP (gloo, 2 processes) -------------------------------------------------------------------
M, V, D_IN, D, C = 12, 2, 5, 4, 3


class _Embed(nn.Module):
    """Inputs -> normalised view embeddings, and normalised prototypes from its own weights."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = nn.Linear(D_IN, D)
        self.proto = nn.Linear(D, D)
        self.centres = nn.Parameter(torch.randn(C, D))

    def forward(self, x):
        return F.normalize(self.proj(x), dim=-1), F.normalize(self.proto(self.centres), dim=-1)


def _global_batch():
    g = torch.Generator().manual_seed(7)
    return torch.randn(M, V, D_IN, generator=g), torch.randint(0, C, (M, ), generator=g)


def _step(model, x, y, **options):
    feats, protos = model(x)
    loss = BalancedSupConLoss(temperature=0.1, **options)(feats, y, protos)
    per_anchor = BalancedSupConLoss(temperature=0.1, reduction='none', **options)(
        feats, y, protos).detach()
    loss.backward()
    module = getattr(model, 'module', model)  # DDP's parameters are its module's
    grads = {k: p.grad.clone() for k, p in module.named_parameters()}
    return loss.detach(), per_anchor, grads


def _ddp_worker(rank, world, port, out_dir, split):
    import torch.distributed as dist
    torch.set_num_threads(1)  # a forked child must not enter the parent's OpenMP pool
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=world)
    try:
        model = nn.parallel.DistributedDataParallel(_Embed())
        x, y = _global_batch()
        lo, hi = split[rank], split[rank + 1]
        torch.save(_step(model, x[lo:hi], y[lo:hi]), osp.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize('split', [(0, 6, 12), (0, 4, 12)], ids=['equal', 'unequal'])
def test_two_processes_equal_one_process(tmp_path, free_port, split):
    """Rank r holds instances split[r]:split[r+1] of the global batch. Each rank's anchors meet the
    whole batch: its per-anchor losses are the single process's for those anchors. With equal
    halves, the mean of the rank losses is the single-process loss and DDP's averaged gradients
    are the single-process gradients (projection and prototype weights)."""
    mp.start_processes(_ddp_worker, args=(2, free_port, str(tmp_path), split), nprocs=2,
                       join=True, start_method='fork')
    x, y = _global_batch()
    loss, per_anchor, grads = _step(_Embed(), x, y)
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]
    for r, (_, rank_anchors, _) in enumerate(ranks):
        lo, hi = split[r], split[r + 1]
        rows = torch.cat([k * M + torch.arange(lo, hi) for k in range(V)])
        torch.testing.assert_close(rank_anchors, per_anchor[rows])
    if split[1] * 2 == M:
        torch.testing.assert_close((ranks[0][0] + ranks[1][0]) / 2, loss)
        for k in grads:
            torch.testing.assert_close(ranks[0][2][k], grads[k], rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(ranks[1][2][k], grads[k], rtol=1e-5, atol=1e-6)
