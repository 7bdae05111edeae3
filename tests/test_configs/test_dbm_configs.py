"""The configs under configs/dbm/ follow the DBM paper's recipes (loss arguments left at their
defaults are read with those defaults filled in, as ``dump_configs.py --fill-defaults`` does)."""
import glob
import os.path as osp

import pytest
from conftest import head_loss_with_defaults

import mmltr  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'dbm', '**', '*.py'), recursive=True))
CIFAR = [p for p in CONFIGS if '_resnet32_1xb64_cifar' in p and 'jpeg' not in p]
METHODS = ('ce', 'bs', 'ldam-drw', 'dbm-ce', 'dbm-drw', 'dbm-bs')


def _name(p):
    return osp.relpath(p, ROOT)


def test_cifar_grid_is_complete():
    names = {osp.basename(p) for p in CIFAR}
    expected = {f'{m}_resnet32_1xb64_{d}-lt-if{i}.py' for m in METHODS
                for d in ('cifar10', 'cifar100') for i in (10, 50, 100, 200)}
    assert names == expected  # 48 configs


@pytest.mark.parametrize('path', CIFAR, ids=_name)
def test_cifar_recipe(path, config_loader):
    cfg = config_loader(path)
    base = osp.basename(path)
    method = base.split('_')[0]
    C = 100 if 'cifar100' in base else 10
    IF = int(base.rsplit('-if', 1)[1][:-3])
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.imbalance_factor == IF
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.train_dataloader.dataset.type == ('CIFAR100LT' if C == 100 else 'CIFAR10LT')
    assert cfg.train_cfg.max_epochs == 200
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 0.1, 0.9, 2e-4)
    warm, cos = cfg.param_scheduler
    assert (warm.type, warm.end, cos.type, cos.begin, cos.end) == ('LinearLR', 5,
                                                                   'CosineAnnealingLR', 5, 200)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types == ['RandomCrop', 'RandomFlip', 'AutoAugment', 'DeVriesCutout', 'PackInputs']
    aa = cfg.train_dataloader.dataset.pipeline[2]
    assert len(aa.policies) == 25 and all(len(s) == 2 for s in aa.policies)
    cut = cfg.train_dataloader.dataset.pipeline[3]
    assert (cut.length, cut.n_holes) == (16, 1)
    assert cfg.data_preprocessor.mean == [125.307, 122.961, 113.8575]
    assert cfg.data_preprocessor.std == [51.5865, 50.847, 51.255]

    head = cfg.model.head
    assert head.num_classes == C
    loss = head_loss_with_defaults(cfg)
    if method in ('ce', 'bs'):
        assert head.type == 'LinearClsHead'
        assert loss.type == {'ce': 'CrossEntropyLoss', 'bs': 'BalancedSoftmaxLoss'}[method]
    else:
        assert head.type == 'CosineClsHead'
    if method == 'ldam-drw':
        assert (loss.type, loss.max_margin, loss.scale, loss.drw_epoch) == ('LDAMLoss', 0.5, 30.0,
                                                                            160)
    if method.startswith('dbm-'):
        assert (loss.type, loss.K, loss.tau, loss.scale, loss.lambda_inst) == ('DBMLoss', 0.1, 1.0,
                                                                               32.0, 1.0)
        assert loss.base == method[4:]
        if loss.base == 'drw':
            assert loss.drw_epoch == 160 and loss.beta == 0.9999


def test_large_scale_dbm_bs_recipes(config_loader):
    cfg = config_loader('configs/dbm/dbm-bs_resnet50_4xb64_imagenet-lt.py')
    loss = head_loss_with_defaults(cfg)
    assert (cfg.model.head.type, loss.type, loss.scale, loss.K, loss.tau, loss.base) == (
        'CosineClsHead', 'DBMLoss', 30.0, 0.1, 1.0, 'bs')
    assert cfg.model.backbone.depth == 50 and cfg.model.head.num_classes == 1000
    opt = cfg.optim_wrapper.optimizer
    assert (opt.lr, opt.momentum, opt.weight_decay) == (0.1, 0.9, 5e-4)
    assert cfg.train_cfg.max_epochs == 90 and cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.train_dataloader.batch_size * 4 == 256
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types == ['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'ColorJitter',
                     'RandAugment', 'PackInputs']
    (sched, ) = cfg.param_scheduler
    assert (sched.type, sched.begin, sched.end, sched.T_max) == ('CosineAnnealingLR', 4, 90, 86)

    inat = config_loader('configs/dbm/dbm-bs_resnet50_4xb64_inat2018.py')
    opt = inat.optim_wrapper.optimizer
    assert (opt.lr, opt.weight_decay, inat.train_cfg.max_epochs) == (0.2, 1e-4, 100)
    (sched, ) = inat.param_scheduler
    assert (sched.begin, sched.end, sched.T_max) == (4, 100, 96)
    assert inat.model.head.num_classes == 8142 and inat.data_preprocessor.num_classes == 8142
    assert inat.data_preprocessor.mean == [118.83, 120.105, 96.9]

    rx = config_loader('configs/dbm/dbm-bs_resnext50-32x4d_4xb64_imagenet-lt.py')
    assert (rx.model.backbone.type, rx.model.backbone.groups, rx.model.backbone.width_per_group) \
        == ('ResNeXt', 32, 4)
    assert rx.model.head == cfg.model.head and rx.optim_wrapper == cfg.optim_wrapper


def test_jpeg_100e_configs(config_loader):
    name = 'configs/dbm/jpeg/{}_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py'
    cfgs = {m: config_loader(name.format(m)) for m in ('ce', 'bs', 'dbm-bs')}
    for m, cfg in cfgs.items():
        assert cfg.train_cfg.max_epochs == 100
        warm, cos = cfg.param_scheduler
        assert (warm.end, cos.begin, cos.end, cos.T_max) == (5, 5, 100, 95)
        ds = cfg.train_dataloader.dataset
        assert ds.type == 'LongTailedDataset' and ds.imbalance_factor == 100
        types = [t['type'] for t in ds.dataset.pipeline]
        assert types == ['LoadImageFromFile', 'RandomCrop', 'RandomFlip', 'AutoAugment',
                         'DeVriesCutout', 'PackInputs']
        assert cfg.data_preprocessor.to_rgb is True
        # the three runs differ only in the model
        other = dict(cfg.to_dict(), model=None)
        assert other == dict(cfgs['ce'].to_dict(), model=None)
    assert cfgs['bs'].model.head.loss.type == 'BalancedSoftmaxLoss'
    head, loss = cfgs['dbm-bs'].model.head, head_loss_with_defaults(cfgs['dbm-bs'])
    assert (head.type, loss.type, loss.base, loss.scale) == ('CosineClsHead', 'DBMLoss', 'bs', 32.0)
