"""Difficulty-Net: MLP, second-order meta step, BN safety, meta set, resume, DDP (CPU)."""
import copy
import glob
import os
import os.path as osp
import socket
import time

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.optim import OptimWrapper, OptimWrapperDict, build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmltr  # noqa: F401
from mmltr.datasets import ClassBalancedSubset
from mmltr.datasets.long_tailed import LongTailedDataset
from mmltr.engine.hooks import DifficultyNetHook
from mmltr.models.classifiers.difficulty_net import (DifficultyNet, difficulty_to_weights,
                                                      driver_loss, relative_difficulty)
from mmpretrain.registry import DATASETS, MODELS, OPTIM_WRAPPERS
from mmpretrain.structures import DataSample

C = 5


@OPTIM_WRAPPERS.register_module(name='DNTestAmpLikeWrapper', force=True)
class AmpLikeWrapper(OptimWrapper):
    pass


@MODELS.register_module(name='DNTestTinyNet', force=True)
class TinyNet(nn.Module):
    """Conv-BN-ReLU: small, but with BatchNorm buffers and second-order-capable ops."""

    def __init__(self, width: int = 8):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)

    def forward(self, x):
        return (F.relu(self.bn(self.conv(x))), )


@DATASETS.register_module(name='DNTestToyDataset', force=True)
class ToyDataset(BaseDataset):
    """Random 8x8 RGB images, ``per_class`` (or ``counts[c]``) per class, deterministic."""

    METAINFO = {'classes': tuple(f'c{i}' for i in range(C))}

    def __init__(self, counts=(8, 6, 4, 3, 3), seed=0, **kwargs):
        self.counts, self.seed = counts, seed
        super().__init__(**kwargs)

    def load_data_list(self):
        rng = np.random.RandomState(self.seed)
        return [{'img': rng.randint(0, 256, (8, 8, 3), dtype=np.uint8), 'gt_label': c}
                for c, n in enumerate(self.counts) for _ in range(n)]

    def get_gt_labels(self):
        return np.array([d['gt_label'] for d in self.data_list], dtype=np.int64)


def model_cfg(**kw):
    cfg = dict(
        type='DifficultyNetClassifier',
        backbone=dict(type='DNTestTinyNet'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=C, in_channels=8,
                  loss=dict(type='CrossEntropyLoss')),
        difficulty_net=dict(type='DifficultyNet', hidden_dims=(16, 16), bias=False),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=C, mean=[128.] * 3,
                               std=[64.] * 3))
    cfg.update(kw)
    return cfg


OPTIM = dict(
    constructor='DifficultyNetOptimWrapperConstructor',
    model=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)),
    difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-2, weight_decay=1e-4)))


def build_ow(model, cfg=OPTIM):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return build_optim_wrapper(model, copy.deepcopy(cfg))


def build(seed=0, **kw):
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg(**kw))
    return model, build_ow(model)


def batch(n, seed):
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 256, (3, 8, 8), generator=g, dtype=torch.uint8)
                for _ in range(n)],
        data_samples=[DataSample().set_gt_label(i % C) for i in range(n)])


def endless(seed):
    i = 0
    while True:
        yield batch(10, 1000 + seed + i)
        i += 1


# ----------------------------------------------------------------------------------------------
# the MLP, relative difficulty and driver loss
def test_difficulty_net_range_and_weights():
    torch.manual_seed(0)
    dn = DifficultyNet(10, hidden_dims=(32, 32), bias=True)
    acc = torch.rand(10)
    d = dn(acc)
    assert d.shape == (10, ) and (d > 0).all() and (d < 1).all()
    w = dn.class_weights(acc)
    torch.testing.assert_close(w.mean(), torch.tensor(1.0))
    torch.testing.assert_close(w, 10 * d / d.sum())
    assert dn(torch.rand(4, 10)).shape == (4, 10)
    # CIFAR setting: no biases -> a = 0 gives d = 0.5 everywhere (uniform weights).
    dn0 = DifficultyNet(10)
    assert [m.bias for m in dn0.modules() if isinstance(m, nn.Linear)] == [None] * 3
    assert [m.out_features for m in dn0.modules() if isinstance(m, nn.Linear)] == [128, 128, 10]
    torch.testing.assert_close(dn0(torch.zeros(10)), torch.full((10, ), 0.5))
    torch.testing.assert_close(dn0.class_weights(torch.zeros(10)), torch.ones(10))
    with pytest.raises(ValueError, match='10 per-class'):
        dn0(torch.rand(7))


def test_relative_difficulty_and_driver_loss_by_hand():
    a = torch.tensor([0.9, 0.5, 0.1, 0.0])
    s = 1.5
    expected = torch.tensor([1 - 0.9 / s, 1 - 0.5 / s, 1 - 0.1 / s, 1.0])
    torch.testing.assert_close(relative_difficulty(a), expected)
    d = torch.tensor([0.2, 0.4, 0.6, 0.8])
    by_hand = sum((d[i] - expected[i])**2 for i in range(4)) / 4
    torch.testing.assert_close(driver_loss(d, a), by_hand)
    # a = 0 (first epoch): target 1 everywhere thanks to the +1e-12
    torch.testing.assert_close(relative_difficulty(torch.zeros(3)), torch.ones(3))
    torch.testing.assert_close(difficulty_to_weights(d), d * 4 / d.sum())


# ----------------------------------------------------------------------------------------------
# second order
def _meta_grads(model, ow):
    model.train()
    data = model.data_preprocessor(batch(12, 1), True)
    meta = model.data_preprocessor(batch(10, 2), False)
    labels = torch.cat([s.gt_label for s in data['data_samples']])
    meta_labels = torch.cat([s.gt_label for s in meta['data_samples']])
    out = model.meta_loss(data['inputs'], labels, meta['inputs'], meta_labels,
                          model.param_lrs(ow['model'], model.trainable_params()))
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

    # The first-order shortcut (the released ImageNet code): nothing reaches DN.
    fo, fo_ow = build(driver_weight=0.0, first_order=True)
    fo.load_state_dict(model.state_dict())
    fo_grads = _meta_grads(fo, fo_ow)
    assert sum(g.abs().sum() for g in fo_grads) == 0


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
            assert abs(fd - float(gp.view(-1)[j])) < 1e-7 + 1e-4 * abs(fd), (fd, float(gp.view(-1)[j]))
            checked += 1
    assert checked >= 10 and max(float(gp.abs().max()) for gp in grads) > 1e-6


def test_virtual_step_matches_manual_sgd_step():
    """θ' = θ − η∇ (plain SGD) and the meta CE equals CE of a model loaded with θ'."""
    model, ow = build()
    model.set_class_accuracy(torch.rand(C))
    model.train()
    data = model.data_preprocessor(batch(12, 1), True)
    meta = model.data_preprocessor(batch(10, 2), False)
    y = torch.cat([s.gt_label for s in data['data_samples']])
    ym = torch.cat([s.gt_label for s in meta['data_samples']])
    out = model.meta_loss(data['inputs'], y, meta['inputs'], ym,
                          model.param_lrs(ow['model'], model.trainable_params()))

    ref = copy.deepcopy(model)
    with torch.no_grad():
        w = ref.difficulty_net_module.class_weights(ref.class_acc)
    logits = ref.head(ref.extract_feat(data['inputs']))
    loss = (w[y] * F.cross_entropy(logits, y, reduction='none')).mean()
    params = [p for n, p in ref.named_parameters() if not n.startswith('difficulty_net')]
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.sub_(0.1 * g)
    meta_ce = F.cross_entropy(ref.head(ref.extract_feat(meta['inputs'])), ym)
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


def test_optimizer_constructor_splits_parameters():
    model, ow = build()
    assert isinstance(ow, OptimWrapperDict) and set(ow.keys()) == {'model', 'difficulty_net'}
    dn_ids = {id(p) for p in model.difficulty_net.parameters()}
    model_ids = {id(p) for g in ow['model'].param_groups for p in g['params']}
    adam_ids = {id(p) for g in ow['difficulty_net'].param_groups for p in g['params']}
    assert adam_ids == dn_ids and not (model_ids & dn_ids)
    assert model_ids == {id(p) for n, p in model.named_parameters()
                         if not n.startswith('difficulty_net')}
    assert type(ow['difficulty_net'].optimizer).__name__ == 'Adam'
    # --amp on the command line sets a top-level type: it goes to the model's wrapper only.
    with pytest.raises(ValueError, match='exactly two'):
        build_ow(model, dict(constructor='DifficultyNetOptimWrapperConstructor',
                             model=OPTIM['model']))
    # (AmpOptimWrapper needs a GPU: a registered stand-in shows the routing)
    amp = build_ow(model, dict(OPTIM, type='DNTestAmpLikeWrapper'))
    assert type(amp['model']) is AmpLikeWrapper
    assert type(amp['difficulty_net']) is OptimWrapper
    with pytest.raises(RuntimeError, match='DifficultyNetHook'):
        model.train_step(batch(4, 0), ow)


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


CONFIGS = sorted(glob.glob(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
                                    'difficulty_net', '**', '*.py'), recursive=True))


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_configs_wire_the_meta_step(path):
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    assert cfg.model.type == 'DifficultyNetClassifier'
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
    assert set(cfg.param_scheduler) == {'model', 'difficulty_net'}
    assert cfg.param_scheduler['difficulty_net'] == []
    hooks = {h['type']: h for h in cfg.custom_hooks}
    assert {'LongTailLossHook', 'DifficultyNetHook'} <= set(hooks)
    meta = hooks['DifficultyNetHook']['meta_dataloader']['dataset']
    train = cfg.train_dataloader.dataset
    if meta['type'] == 'ClassBalancedSubset':  # ImageNet-LT / Places-LT: 10 per class of val
        assert meta['per_class'] == 10 and 'val' in meta['dataset']['ann_file'].lower()
    else:  # CIFAR: the 25-per-class hold-out of the same training data, on every split
        assert meta['subset'] == 'meta' and train['subset'] == 'lt'
        for ds in (meta, train, cfg.val_dataloader.dataset, cfg.test_dataloader.dataset):
            assert ds['meta_per_class'] == 25
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        ow = build_optim_wrapper(model, cfg.optim_wrapper)
    assert set(ow.keys()) == {'model', 'difficulty_net'}
    assert type(ow['difficulty_net'].optimizer).__name__ == 'Adam'
    assert model.difficulty_net.num_classes == model.num_classes


# ----------------------------------------------------------------------------------------------
# meta set
class _Labelled:
    """Minimal labelled dataset: 40 images per class, file order."""

    def __init__(self, per_class=40):
        self.labels = np.repeat(np.arange(C), per_class)
        self.metainfo = {'classes': tuple(range(C))}

    def get_gt_labels(self):
        return self.labels.copy()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return i

    def get_data_info(self, i):
        return {'gt_label': int(self.labels[i])}


def test_meta_set_balanced_and_disjoint_from_training_subset():
    src = _Labelled()
    lt = LongTailedDataset(src, imbalance_factor=10, meta_per_class=10, subset='lt')
    meta = LongTailedDataset(src, imbalance_factor=10, meta_per_class=10, subset='meta')
    lt_idx = {lt._get_ori_dataset_idx(i) for i in range(len(lt))}
    meta_idx = [meta._get_ori_dataset_idx(i) for i in range(len(meta))]
    assert np.bincount(meta.get_gt_labels(), minlength=C).tolist() == [10] * C
    assert not lt_idx & set(meta_idx)
    # the last 10 of every class (file order), and the LT part has at most 30 per class
    assert sorted(meta_idx) == [c * 40 + k for c in range(C) for k in range(30, 40)]
    assert max(np.bincount(lt.get_gt_labels())) == 30
    assert meta.metainfo['class_counts'] == lt.metainfo['class_counts']

    sub = ClassBalancedSubset(src, per_class=7, seed=3)
    assert np.bincount(sub.get_gt_labels(), minlength=C).tolist() == [7] * C
    assert len(set(sub.indices.tolist())) == len(sub) == 7 * C
    again = ClassBalancedSubset(src, per_class=7, seed=3)
    assert sub.indices.tolist() == again.indices.tolist()
    assert ClassBalancedSubset(src, per_class=7, seed=4).indices.tolist() != sub.indices.tolist()
    last = ClassBalancedSubset(src, per_class=2, selection='last')
    assert last.indices.tolist() == [c * 40 + k for c in range(C) for k in (38, 39)]
    with pytest.raises(ValueError, match='fewer images'):
        ClassBalancedSubset(src, per_class=41)


# ----------------------------------------------------------------------------------------------
# runner: hook, checkpoints, resume
def runner_cfg(work_dir, max_epochs, **extra):
    test_pipeline = [dict(type='PackInputs')]
    cfg = dict(
        model=model_cfg(),
        work_dir=work_dir,
        train_dataloader=dict(
            batch_size=8, num_workers=0,
            dataset=dict(type='DNTestToyDataset', counts=(12, 8, 6, 4, 2), seed=0,
                         pipeline=test_pipeline),
            sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=copy.deepcopy(OPTIM),
        param_scheduler=dict(
            model=[dict(type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.5)],
            difficulty_net=[]),
        custom_hooks=[
            dict(type='LongTailLossHook'),
            dict(type='DifficultyNetHook',
                 meta_dataloader=dict(
                     batch_size=5, num_workers=0,
                     dataset=dict(type='DNTestToyDataset', counts=(4, ) * C, seed=1,
                                  pipeline=test_pipeline),
                     sampler=dict(type='DefaultSampler', shuffle=True)),
                 acc_batch_size=7)
        ],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        default_scope='mmpretrain',
        randomness=dict(seed=0),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
    )
    cfg.update(extra)
    return cfg


def _state(runner):
    model = runner.model
    opt = runner.optim_wrapper.state_dict()
    return (model.class_acc.clone(), copy.deepcopy(model.state_dict()), copy.deepcopy(opt))


def test_hook_accuracy_checkpoint_and_resume(tmp_path):
    full = Runner.from_cfg(runner_cfg(str(tmp_path / 'full'), 2))
    full.train()
    acc_full, sd_full, opt_full = _state(full)
    assert acc_full.sum() > 0 and (acc_full <= 1).all()
    # a really is the meta-set accuracy of the final model
    hook = [h for h in full.hooks if isinstance(h, DifficultyNetHook)][0]
    torch.testing.assert_close(
        DifficultyNetHook.class_accuracy(full.model, hook.acc_loader, C), acc_full)

    ckpt = torch.load(str(tmp_path / 'full' / 'epoch_1.pth'), map_location='cpu',
                      weights_only=False)
    assert 'class_acc' in ckpt['state_dict']
    assert any(k.startswith('difficulty_net.') for k in ckpt['state_dict'])
    assert set(ckpt['optimizer']) >= {'model', 'difficulty_net'}
    assert ckpt['optimizer']['difficulty_net']['state'], 'Adam state is saved'
    assert ckpt['param_schedulers']['model'] and ckpt['param_schedulers']['difficulty_net'] == []

    # An identical run interrupted after epoch 1 (same config: its epoch_1.pth is this one; a
    # shorter max_epochs would clip the LR schedule), resumed: same a, weights and optimizer
    # states at the end as the uninterrupted run.
    resumed = Runner.from_cfg(runner_cfg(str(tmp_path / 'resumed'), 2, resume=True,
                                         load_from=str(tmp_path / 'full' / 'epoch_1.pth')))
    resumed.train()
    acc_res, sd_res, opt_res = _state(resumed)
    torch.testing.assert_close(acc_res, acc_full)
    for k in sd_full:
        torch.testing.assert_close(sd_res[k], sd_full[k], msg=k)
    for key in ('model', 'difficulty_net'):
        for pid, st in opt_full[key]['state'].items():
            for name, v in st.items():
                torch.testing.assert_close(opt_res[key]['state'][pid][name], v,
                                           msg=f'{key} {name}')
    assert resumed.optim_wrapper['model'].get_lr()['lr'][0] == pytest.approx(0.05)
    assert resumed.optim_wrapper['difficulty_net'].get_lr()['lr'][0] == pytest.approx(1e-2)


# ----------------------------------------------------------------------------------------------
# DDP: 2 processes on CPU with gloo, mmengine's MMSeparateDistributedDataParallel
def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


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


def test_two_process_gloo_train_step(tmp_path):
    import torch.multiprocessing as mp
    ctx = mp.start_processes(_ddp_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2,
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
