"""The BCL and DBM-BCL configs (configs/bcl/, configs/dbm/): their recipes, and short CPU runs on
generated data in the datasets' on-disk formats (CIFAR pickles, ImageNet-LT / iNat list files)."""
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import head_loss_with_defaults
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope

import mmltr  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CIFAR = sorted(glob.glob(osp.join(ROOT, 'configs', 'bcl', 'bcl_resnet32_*.py')) +
               glob.glob(osp.join(ROOT, 'configs', 'dbm', 'dbm-bcl_resnet32_*.py')))
CONTRASTIVE_CIFAR = ['RandomResizedCrop', 'RandomFlip', 'RandomApply', 'RandomGrayscale',
                     'GaussianBlur']


def _name(p):
    return osp.relpath(p, ROOT)


def test_cifar_grid_is_complete():
    names = {osp.basename(p) for p in CIFAR}
    assert names == {f'{m}_resnet32_1xb256_{d}-lt-if{i}.py' for m in ('bcl', 'dbm-bcl')
                     for d in ('cifar10', 'cifar100') for i in (10, 50, 100)}


@pytest.mark.parametrize('path', CIFAR, ids=_name)
def test_cifar_recipe(path, config_loader):
    cfg = config_loader(path)
    base = osp.basename(path)
    C = 100 if 'cifar100' in base else 10
    IF = int(base.rsplit('-if', 1)[1][:-3])
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.imbalance_factor == IF
    assert cfg.train_dataloader.batch_size == 256 and cfg.auto_scale_lr.base_batch_size == 256
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 0.15, 0.9, 5e-4)
    assert cfg.train_cfg.max_epochs == 200
    warm, cos = cfg.param_scheduler
    assert (warm.type, warm.end, cos.type, cos.begin, cos.end) == ('LinearLR', 5,
                                                                   'CosineAnnealingLR', 5, 200)
    multi, pack = cfg.train_dataloader.dataset.pipeline
    assert (multi.type, multi.num_views, pack.type) == ('MultiView', [1, 2], 'PackInputs')
    cls_view, con_view = multi.transforms
    assert [t['type'] for t in cls_view] == ['RandomCrop', 'RandomFlip', 'AutoAugment',
                                             'DeVriesCutout']
    assert [t['type'] for t in con_view] == CONTRASTIVE_CIFAR
    crop, _, jitter, gray, blur = con_view
    assert (crop.scale, crop.crop_ratio_range) == (32, (0.2, 1.0))
    assert jitter.prob == 0.8 and [jitter.transforms[0][k] for k in (
        'brightness', 'contrast', 'saturation', 'hue')] == [0.4, 0.4, 0.4, 0.1]
    assert gray.prob == 0.2 and gray.channel_weights == (0.299, 0.587, 0.114)  # RGB arrays
    assert (blur.magnitude_range, blur.magnitude_std, blur.prob) == ((0.1, 2.0), 'inf', 0.5)
    assert cfg.data_preprocessor.type == 'MultiViewClsDataPreprocessor'
    assert cfg.data_preprocessor.mean == [125.307, 122.961, 113.8575]

    model, head = cfg.model, cfg.model.head
    assert (model.type, model.backbone.depth, head.type) == ('BCLClassifier', 32, 'BCLHead')
    assert (head.num_classes, head.in_channels, head.mid_channels, head.feat_dim) == (C, 64, 512,
                                                                                     128)
    assert (head.ce_weight, head.scl_weight, head.contrastive_loss.temperature) == (2.0, 0.6, 0.1)
    assert (head.classifier.type, head.classifier.scale) == ('CosineClsHead', 32.0)
    loss = head.classifier.loss
    if base.startswith('dbm-bcl'):
        loss = head_loss_with_defaults(ConfigDict(model=dict(head=dict(loss=loss))))
        assert (loss.type, loss.base, loss.scale, loss.K, loss.tau, loss.lambda_inst) == (
            'DBMLoss', 'bs', 32.0, 0.1, 1.0, 1.0)
    else:
        assert (loss.type, loss.get('tau', 1.0)) == ('BalancedSoftmaxLoss', 1.0)


def test_dbm_bcl_differs_from_bcl_only_in_the_classification_loss(config_loader):
    for ds in ('cifar10', 'cifar100'):
        for i in (10, 50, 100):
            bcl = config_loader(f'configs/bcl/bcl_resnet32_1xb256_{ds}-lt-if{i}.py').to_dict()
            dbm = config_loader(f'configs/dbm/dbm-bcl_resnet32_1xb256_{ds}-lt-if{i}.py').to_dict()
            for cfg in (bcl, dbm):
                cfg['model']['head']['classifier'].pop('loss')
            assert bcl == dbm
    bcl = config_loader('configs/bcl/bcl_resnet50_4xb64_inat2018.py').to_dict()
    dbm = config_loader('configs/dbm/resnet50_inat2018.py').to_dict()
    assert dbm['model']['head']['classifier'].pop('loss')['type'] == 'DBMLoss'
    bcl['model']['head']['classifier'].pop('loss')
    assert bcl == dbm


def test_large_scale_recipes(config_loader):
    dbm = config_loader('configs/dbm/resnet50_imagenet-lt.py')  # the name users type
    bcl = config_loader('configs/bcl/bcl_resnet50_4xb64_imagenet-lt.py')
    for cfg in (dbm, bcl):
        head = cfg.model.head
        assert (cfg.model.type, cfg.model.backbone.depth, head.type) == ('BCLClassifier', 50,
                                                                          'BCLHead')
        assert (head.num_classes, head.in_channels, head.mid_channels, head.feat_dim) == (
            1000, 2048, 2048, 1024)
        assert (head.classifier.type, head.classifier.scale) == ('CosineClsHead', 30.0)
        opt = cfg.optim_wrapper.optimizer
        assert (opt.lr, opt.momentum, opt.weight_decay) == (0.1, 0.9, 5e-4)
        assert cfg.train_cfg.max_epochs == 90 and cfg.auto_scale_lr.base_batch_size == 256
        assert cfg.train_dataloader.batch_size * 4 == 256
        load, multi, pack = cfg.train_dataloader.dataset.pipeline
        assert (load.type, multi.num_views, pack.type) == ('LoadImageFromFile', [1, 2],
                                                          'PackInputs')
        assert [t['type'] for t in multi.transforms[0]] == [
            'RandomResizedCrop', 'RandomFlip', 'ColorJitter', 'RandAugment']
        assert [t['type'] for t in multi.transforms[1]] == CONTRASTIVE_CIFAR[:-1]  # no blur
        assert multi.transforms[1][3].channel_weights == (0.114, 0.587, 0.299)  # BGR images
    loss = dbm.model.head.classifier.loss
    assert (loss.type, loss.base, loss.scale) == ('DBMLoss', 'bs', 30.0)
    assert (dbm.model.head.ce_weight, dbm.model.head.scl_weight,
            dbm.model.head.contrastive_loss.temperature) == (2.0, 0.6, 0.1)
    (sched, ) = dbm.param_scheduler
    assert (sched.begin, sched.end, sched.T_max) == (4, 90, 86)  # the DBM code's cosine
    # BCL: the released BCL code's defaults and schedule
    assert bcl.model.head.classifier.loss.type == 'BalancedSoftmaxLoss'
    assert (bcl.model.head.ce_weight, bcl.model.head.scl_weight,
            bcl.model.head.contrastive_loss.temperature) == (1.0, 0.35, 0.07)
    (sched, ) = bcl.param_scheduler
    assert (sched.begin, sched.end, sched.T_max) == (0, 90, 91)

    for path, other in (('configs/dbm/resnext50-32x4d_imagenet-lt.py', dbm),
                        ('configs/bcl/bcl_resnext50-32x4d_4xb64_imagenet-lt.py', bcl)):
        rx = config_loader(path)
        assert (rx.model.backbone.type, rx.model.backbone.groups) == ('ResNeXt', 32)
        assert rx.model.head == other.model.head and rx.optim_wrapper == other.optim_wrapper

    inat = config_loader('configs/dbm/resnet50_inat2018.py')
    opt = inat.optim_wrapper.optimizer
    assert (opt.lr, opt.weight_decay, inat.train_cfg.max_epochs) == (0.2, 1e-4, 100)
    assert inat.model.head.num_classes == 8142 and inat.data_preprocessor.num_classes == 8142
    assert inat.data_preprocessor.mean == [118.83, 120.105, 96.9]
    assert inat.model.head.classifier.loss.type == 'DBMLoss'


# -- short CPU runs on the standard path -------------------------------------------------------
def _shrink_crops(node, size):
    """Every crop / resize of a (nested) pipeline set to ``size`` pixels (CPU time)."""
    if isinstance(node, dict):
        for key in ('scale', 'crop_size'):
            if node.get('type') in ('RandomResizedCrop', 'ResizeEdge', 'CenterCrop') \
                    and key in node:
                node[key] = size
        for value in node.values():
            _shrink_crops(value, size)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _shrink_crops(value, size)


def _run(cfg, work_dir, monkeypatch, fast=False):
    """One training epoch (with validation) of ``cfg`` on the standard path (``fast``: on the
    fast path, the three views batched on the device); the runner."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmltr.engine.fast_path.runner import FastPathRunner
    # the runner logs, dumps and checkpoints the config text, formatted with yapf: seconds per
    # call for these configs on a small CPU, and not what is tested here
    monkeypatch.setattr(Config, 'pretty_text', property(lambda self: '# not formatted\n'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False)
        cfg[key].dataset.serialize_data = False  # its gc.collect() takes 0.5 s per dataset
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    cfg.work_dir = str(work_dir)
    if fast:
        cfg.fast_path = dict(enable=True)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        runner = (FastPathRunner if fast else Runner).from_cfg(cfg)
        runner.train()
    return runner


def _losses(runner):
    """The logged loss_cls and loss_scl of every iteration."""
    return [runner.message_hub.get_scalar(f'train/{k}').data[0] for k in ('loss_cls', 'loss_scl')]


@pytest.mark.parametrize('fast', [False, True], ids=['standard', 'fast-path'])
def test_dbm_bcl_cifar_trains_on_cpu(tmp_path, fake_cifar, config_loader, monkeypatch, fast):
    fake_cifar(str(tmp_path / 'data'), 10, per_class=20, test_per_class=2)
    cfg = config_loader('configs/dbm/dbm-bcl_resnet32_1xb256_cifar10-lt-if100.py')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(tmp_path / 'data')
    cfg.train_dataloader.batch_size = 16
    cfg.model.backbone.depth = 8
    runner = _run(cfg, tmp_path / 'wd', monkeypatch, fast)
    assert (type(runner.train_loop).__name__ == 'GPUEpochBasedTrainLoop') == fast
    loss_cls, loss_scl = _losses(runner)
    assert len(loss_cls) == len(loss_scl) == 3  # 45 images (20 ... 0 per class, IF 100) / 16
    assert np.isfinite(loss_cls).all() and np.isfinite(loss_scl).all()
    assert 0 <= runner.message_hub.get_scalar('val/lt/top1').current() <= 100


def _write_list_data(root, list_files, prefix, size=40):
    """Tiny JPEGs for a few classes and the list files naming them."""
    rng = np.random.RandomState(0)
    for name, labels in list_files.items():
        lines = []
        for i, c in enumerate(labels):
            rel = f'{prefix}/{c}/{name[:-4]}_{i}.jpg'
            os.makedirs(osp.dirname(osp.join(root, rel)), exist_ok=True)
            cv2.imwrite(osp.join(root, rel), rng.randint(0, 256, (size, size, 3), np.uint8))
            lines.append(f'{rel} {c}\n')
        with open(osp.join(root, name), 'w') as f:
            f.writelines(lines)


@pytest.mark.parametrize('path,lists,prefix', [
    ('configs/dbm/resnet50_imagenet-lt.py',
     ('ImageNet_LT_train.txt', 'ImageNet_LT_val.txt', 'ImageNet_LT_test.txt'), 'train'),
    ('configs/dbm/resnet50_inat2018.py',
     ('iNaturalist18_train.txt', 'iNaturalist18_val.txt'), 'train_val2018/Plantae'),
], ids=['imagenet-lt', 'inat2018'])
def test_large_scale_configs_train_on_list_data(tmp_path, config_loader, monkeypatch, path, lists,
                                               prefix):
    """The DBM-BCL ImageNet-LT / iNat configs (ResNet-50, every class) on 4 images in the
    list-file layout; for the CPU, crops of 32 px and MLPs of width 64 (the prototype MLP on
    iNat's 8,142 classes alone is some 100 GFLOP a step)."""
    train, *evals = lists
    _write_list_data(str(tmp_path), {train: [0, 1, 1, 2], **{e: [0, 2] for e in evals}},
                     prefix)
    cfg = config_loader(path)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(tmp_path)
        cfg[key].batch_size = 4
    _shrink_crops([cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader], 32)
    cfg.model.head.update(mid_channels=64, feat_dim=64)
    runner = _run(cfg, tmp_path / 'wd', monkeypatch)
    loss_cls, loss_scl = _losses(runner)
    assert len(loss_cls) == 1 and np.isfinite(loss_cls[0] + loss_scl[0])
