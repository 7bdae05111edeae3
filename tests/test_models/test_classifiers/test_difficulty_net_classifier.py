"""DifficultyNetClassifier: second-order meta step (finite-difference hypergradient), BN safety,
the weighted loss, one train step, 2-process DDP (CPU, gloo)."""
import copy
import os
import os.path as osp
import time

import pytest
import torch
import torch.nn.functional as F
from _difficulty_net_toys import OPTIM, C, batch, build, build_ow, endless, model_cfg
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401
from mmltr.engine.hooks import DifficultyNetHook
from mmltr.models.classifiers.difficulty_net import DifficultyNet


# ----------------------------------------------------------------------------------------------
# second order
def _meta_step(model, ow):
    """The meta loss of a training batch (12) and a meta batch (10); their inputs and labels."""
    model.train()
    data = model.data_preprocessor(batch(12, 1), True)
    meta = model.data_preprocessor(batch(10, 2), False)
    y = torch.cat([s.gt_label for s in data['data_samples']])
    ym = torch.cat([s.gt_label for s in meta['data_samples']])
    out = model.meta_loss(data['inputs'], y, meta['inputs'], ym,
                          model.param_lrs(ow['model'], model.trainable_params()))
    return out, (data['inputs'], y, meta['inputs'], ym)


def _meta_grads(model, ow):
    out, _ = _meta_step(model, ow)
    params = list(model.difficulty_net_module.parameters())
    grads = torch.autograd.grad(out['meta_loss'], params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]


def test_second_order_gradient_reaches_difficulty_net():
    model, ow = build(driver_weight=0.0)
    model.set_class_accuracy(torch.tensor([0.9, 0.7, 0.5, 0.3, 0.1]))
    grads = _meta_grads(model, ow)
    total = sum(g.abs().sum() for g in grads)
    assert total > 1e-6, 'with lambda = 0 the meta CE must reach Difficulty-Net (second order)'
    assert all(g.abs().sum() > 0 for g in grads)


def _released_iteration(model, ow, data, meta, lam):
    """One iteration of the authors' released CIFAR code, written out independently: the class
    weights enter the losses as a new tensor (``torch.tensor(class_weights)``), detached from
    Difficulty-Net; second-order virtual step, meta CE + λ·driver, Adam on DN, then the real
    weighted SGD step with the updated DN's weights. Returns DN's meta-CE gradient."""
    dn = model.difficulty_net
    d = dn(model.class_acc)
    target = 1 - model.class_acc / (model.class_acc.sum() + 1e-12)
    driver = F.mse_loss(d, target)
    w = (C * d / d.sum()).detach().clone()  # torch.tensor(class_weights): no graph to DN
    x = model.data_preprocessor(copy.deepcopy(data), True)
    y = torch.cat([s.gt_label for s in x['data_samples']])
    xm = model.data_preprocessor(copy.deepcopy(meta), False)
    ym = torch.cat([s.gt_label for s in xm['data_samples']])
    theta = {n: p for n, p in model.named_parameters() if not n.startswith('difficulty_net')}
    buffers = {n: b.clone() for n, b in model.named_buffers()}

    def logits(params, inputs):
        return torch.func.functional_call(
            model, {**params, **buffers}, (inputs, ), dict(mode='tensor'))

    loss = (w[y] * F.cross_entropy(logits(theta, x['inputs']), y, reduction='none')).mean()
    grads = torch.autograd.grad(loss, list(theta.values()), create_graph=True)
    fast = {n: p - 0.1 * g for (n, p), g in zip(theta.items(), grads)}
    meta_ce = F.cross_entropy(logits(fast, xm['inputs']), ym)
    ce_grads = torch.autograd.grad(meta_ce, list(dn.parameters()), allow_unused=True,
                                   retain_graph=True)
    ow['difficulty_net'].zero_grad()
    (meta_ce + lam * driver).backward(inputs=list(dn.parameters()))
    ow['difficulty_net'].step()
    with torch.no_grad():
        d = dn(model.class_acc)
        w = C * d / d.sum()
    loss = (w[y] * F.cross_entropy(model(x['inputs']), y, reduction='none')).mean()
    ow['model'].update_params(loss)
    return ce_grads


def test_driver_only_reproduces_a_released_iteration():
    model, ow = build(meta_gradient='driver_only')
    model.set_class_accuracy(torch.tensor([0.9, 0.7, 0.5, 0.3, 0.1]))
    model.train()
    ref = copy.deepcopy(model)
    ref_ow = build_ow(ref)
    data, meta = batch(12, 1), batch(10, 2)
    log = model.train_step(copy.deepcopy(data), ow)  # no meta batch needed, none attached
    assert set(log) == {'loss', 'loss_meta', 'loss_driver', 'dn_weight_min', 'dn_weight_max'}
    ce_grads = _released_iteration(ref, ref_ow, data, meta, lam=0.3)
    # the released meta CE gives Difficulty-Net no gradient at all
    assert all(g is None for g in ce_grads)
    for (n, a), b in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7, msg=n)
    for n, p in model.difficulty_net.named_parameters():  # it did move (driver loss)
        assert not torch.equal(p, dict(build()[0].difficulty_net.named_parameters())[n])


def test_meta_gradient_choice_and_deprecated_first_order():
    assert build()[0].meta_gradient == 'second_order'
    with pytest.warns(DeprecationWarning, match="meta_gradient='driver_only'"):
        assert build(first_order=True)[0].meta_gradient == 'driver_only'
    with pytest.warns(DeprecationWarning):
        assert build(first_order=False)[0].meta_gradient == 'second_order'
    with pytest.raises(ValueError, match='contradicts'), pytest.warns(DeprecationWarning):
        build(first_order=False, meta_gradient='driver_only')
    with pytest.raises(ValueError, match="meta_gradient must be one of"):
        build(meta_gradient='first_order')


def test_hypergradient_matches_finite_differences():
    """The value of the second-order gradient, not only its presence: d meta-CE / d phi by
    central differences of an independent re-implementation (deep copy, weights from DN, one
    manual SGD step at the model lr, CE on the meta batch), in float64."""
    model, ow = build(driver_weight=0.0)
    model = model.double().train()
    model.set_class_accuracy(torch.tensor([0.9, 0.6, 0.4, 0.3, 0.1], dtype=torch.float64))
    lr = 0.1  # OPTIM's model lr
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(15, 3, 6, 6, generator=g, dtype=torch.float64), torch.arange(15) % C
    xm, ym = torch.randn(10, 3, 6, 6, generator=g, dtype=torch.float64), torch.arange(10) % C
    out = model.meta_loss(x, y, xm, ym, model.param_lrs(ow['model'], model.trainable_params()))
    dn_params = list(model.difficulty_net_module.parameters())
    grads = torch.autograd.grad(out['meta_loss'], dn_params)

    def meta_ce(m):
        r = copy.deepcopy(m)
        with torch.no_grad():
            d = r.difficulty_net_module(r.class_acc.double())
            w = C * d / d.sum()
        loss = (w[y] * F.cross_entropy(r.head(r.neck(r.backbone(x))), y, reduction='none')).mean()
        theta = [p for n, p in r.named_parameters() if not n.startswith('difficulty_net')]
        with torch.no_grad():
            for p, gp in zip(theta, torch.autograd.grad(loss, theta)):
                p -= lr * gp
        return float(F.cross_entropy(r.head(r.neck(r.backbone(xm))), ym))

    # the implementation takes the meta CE on float32 logits (AMP safety): float32 rounding
    assert abs(meta_ce(model) - float(out['meta_loss'])) < 1e-6
    eps, checked = 1e-6, 0
    for p, gp in zip(dn_params, grads):
        flat = p.data.view(-1)
        for j in range(0, flat.numel(), max(1, flat.numel() // 5)):
            old = float(flat[j])
            flat[j] = old + eps
            up = meta_ce(model)
            flat[j] = old - eps
            down = meta_ce(model)
            flat[j] = old
            fd = (up - down) / (2 * eps)
            analytic = float(gp.view(-1)[j])
            assert abs(fd - analytic) < 1e-7 + 1e-4 * abs(fd), (fd, analytic)
            checked += 1
    assert checked >= 10 and max(float(gp.abs().max()) for gp in grads) > 1e-6


def test_virtual_step_matches_manual_sgd_step():
    """θ' = θ − η∇ (plain SGD) and the meta CE equals CE of a model loaded with θ'."""
    model, ow = build()
    model.set_class_accuracy(torch.rand(C))
    out, (x, y, xm, ym) = _meta_step(model, ow)

    ref = copy.deepcopy(model)
    with torch.no_grad():
        w = ref.difficulty_net_module.class_weights(ref.class_acc)
    logits = ref.head(ref.extract_feat(x))
    loss = (w[y] * F.cross_entropy(logits, y, reduction='none')).mean()
    params = [p for n, p in ref.named_parameters() if not n.startswith('difficulty_net')]
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.sub_(0.1 * g)
    meta_ce = F.cross_entropy(ref.head(ref.extract_feat(xm)), ym)
    torch.testing.assert_close(out['meta_ce'], meta_ce, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# one full train step
def test_train_step_updates_both_and_keeps_bn_stats_as_plain_step():
    model, ow = build()
    model.set_class_accuracy(torch.tensor([0.9, 0.7, 0.5, 0.3, 0.1]))
    model.set_meta_loader(endless(0))
    model.train()
    before = copy.deepcopy(model)
    data = batch(12, 1)
    log = model.train_step(copy.deepcopy(data), ow)
    assert {'loss', 'loss_meta', 'loss_meta_ce', 'loss_driver'} <= set(log)

    dn_changed = [not torch.equal(a, b) for a, b in zip(
        before.difficulty_net.parameters(), model.difficulty_net.parameters())]
    assert all(dn_changed)
    for name in ('backbone', 'head'):
        for a, b in zip(getattr(before, name).parameters(), getattr(model, name).parameters()):
            assert not torch.equal(a, b), name

    # The reference: a plain weighted step (same start, updated DN's weights, same SGD).
    ref = before
    ref.difficulty_net.load_state_dict(model.difficulty_net.state_dict())
    with torch.no_grad():
        w = ref.difficulty_net.class_weights(ref.class_acc)
    ref_ow = build_ow(ref)
    d = ref.data_preprocessor(copy.deepcopy(data), True)
    y = torch.cat([s.gt_label for s in d['data_samples']])
    logits = ref.head(ref.extract_feat(d['inputs']))
    ref_ow['model'].update_params((w[y] * F.cross_entropy(logits, y, reduction='none')).mean())

    bn, ref_bn = model.backbone.bn, ref.backbone.bn
    assert int(bn.num_batches_tracked) == 1
    for key in ('running_mean', 'running_var', 'num_batches_tracked'):
        assert torch.equal(getattr(bn, key), getattr(ref_bn, key)), key
    for (n, a), b in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=n)


def test_missing_meta_set_and_wrong_optimizer_are_clear_errors():
    model, ow = build()
    with pytest.raises(RuntimeError, match='DifficultyNetHook'):
        model.train_step(batch(4, 0), ow)
    model.set_meta_loader(endless(0))
    with pytest.raises(TypeError, match="'model' and 'difficulty_net'"):
        model.train_step(batch(4, 0), ow['model'])


def test_difficulty_net_is_built_from_a_config_dict():
    model, _ = build(difficulty_net=dict(hidden_dims=(8, )))  # updates the default config
    dn = model.difficulty_net
    assert isinstance(dn, DifficultyNet) and dn.hidden_dims == (8, ) and dn.num_classes == C
    assert set(dict(model.named_children())) >= {'backbone', 'head', 'difficulty_net'}
    with pytest.raises(TypeError, match='config dict'):
        build(difficulty_net=DifficultyNet(C))
    with pytest.raises(ValueError, match='num_classes'):
        build(difficulty_net=dict(num_classes=C + 1))


def test_per_sample_loss_ce_and_balanced_softmax():
    counts = [50, 20, 10, 5, 2]
    head = dict(type='LinearClsHead', num_classes=C, in_channels=8,
                loss=dict(type='BalancedSoftmaxLoss', tau=1.0, class_counts=counts))
    bs, _ = build(head=head)
    ce, _ = build()
    z, y = torch.randn(6, C), torch.tensor([0, 1, 2, 3, 4, 0])
    torch.testing.assert_close(ce.per_sample_loss(z, y), F.cross_entropy(z, y, reduction='none'))
    prior = torch.tensor(counts, dtype=torch.float) / sum(counts)
    torch.testing.assert_close(bs.per_sample_loss(z, y),
                               F.cross_entropy(z + prior.log(), y, reduction='none'))
    # the weighted loss of every step: mean_i w_{y_i} l_i
    w = torch.rand(C) + 0.5
    per_sample = F.cross_entropy(z + prior.log(), y, reduction='none')
    torch.testing.assert_close(bs.weighted_loss(z, y, w), (w[y] * per_sample).mean())
    # the eval-path loss uses the current Difficulty-Net weights
    bs.set_class_accuracy(torch.tensor([0.9, 0.7, 0.5, 0.3, 0.1]))
    with torch.no_grad():
        cw = bs.difficulty_net.class_weights(bs.class_acc)
    torch.testing.assert_close(bs.current_class_weights(), cw)
    assert not bs.current_class_weights().requires_grad


# ----------------------------------------------------------------------------------------------
# DDP: 2 processes on CPU with gloo, mmengine's MMSeparateDistributedDataParallel
def _ddp_worker(rank, world, port, out_dir):
    import torch.distributed as dist
    from mmengine.model import MMSeparateDistributedDataParallel
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.manual_seed(rank)  # different init per rank: DDP must broadcast rank 0's
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg())
        model.set_class_accuracy(torch.tensor([0.9, 0.7, 0.5, 0.3, 0.1]))
        wrapped = MMSeparateDistributedDataParallel(model)
        ow = build_optim_wrapper(wrapped, copy.deepcopy(OPTIM))
    model.set_meta_loader(endless(100 * rank))  # each rank its own meta batches
    wrapped.train()
    for it in range(2):
        wrapped.train_step(batch(8, 10 * it + rank), ow)
    wrapped.eval()
    assert len(wrapped.val_step(batch(4, 7))) == 4  # predict through the DDP children
    wrapped.train()
    # the accuracy vector is summed over ranks: every rank holds the same
    loader = [batch(6, 50 + rank)]
    acc = DifficultyNetHook.class_accuracy(model, loader, C)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    state['acc'] = acc
    torch.save(state, osp.join(out_dir, f'rank{rank}.pth'))
    dist.barrier()
    dist.destroy_process_group()


def test_two_process_gloo_train_step(tmp_path, free_port):
    import torch.multiprocessing as mp
    ctx = mp.start_processes(_ddp_worker, args=(2, free_port, str(tmp_path)), nprocs=2,
                             join=False, start_method='spawn')
    deadline = time.time() + 120
    while not ctx.join(timeout=5):
        if time.time() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail('2-process train_step did not finish in 120 s (deadlock?)')
    s0 = torch.load(str(tmp_path / 'rank0.pth'), weights_only=False)
    s1 = torch.load(str(tmp_path / 'rank1.pth'), weights_only=False)
    for k in s0:
        if 'running_' in k or 'num_batches' in k:
            continue  # BN buffers are per rank (broadcast_buffers=False, mmengine's default)
        torch.testing.assert_close(s0[k], s1[k], msg=k)
