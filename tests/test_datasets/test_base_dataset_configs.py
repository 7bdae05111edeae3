"""The dataset base configs (configs/_base_/datasets/) load through a child config, as users write
them, and build working dataloaders on generated data in each dataset's on-disk format."""
import os.path as osp

import numpy as np
import pytest
from conftest import SMALL_N, SMALL_TEST
from test_list_datasets import _gen_labels, write_list

from mmltr.datasets import CIFAR10LT, lt_class_sizes

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
                      '_base_', 'datasets')


@pytest.fixture(scope='module')
def small_cifar100(tmp_path_factory, fake_cifar):
    root = str(tmp_path_factory.mktemp('small_cifar100'))
    fake_cifar(root, 100, per_class=20, test_per_class=4, seed=1, learnable=False)
    return root


def _load_base(name, tmp_path, override=''):
    """The base dataset config, through a child config file as users write them."""
    from mmengine.config import Config
    child = tmp_path / f'child_{name}'
    child.write_text(f'_base_ = [{osp.join(CONFIG_DIR, name)!r}]\n' + override)
    return Config.fromfile(str(child))


def _loader(cfg_loader, **dataset_overrides):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    cfg = dict(cfg_loader)
    cfg.update(num_workers=0, persistent_workers=False)
    cfg['dataset'] = dict(cfg['dataset'], **dataset_overrides)
    if not DefaultScope.check_instance_created('mmltr-test-datasets'):
        DefaultScope.get_instance('mmltr-test-datasets', scope_name='mmpretrain')
    return Runner.build_dataloader(cfg, seed=0)


def _check_common(cfg, num_classes):
    assert cfg.data_preprocessor.num_classes == num_classes
    assert cfg.train_dataloader.batch_size == 64
    for key in ('val_evaluator', 'test_evaluator'):
        assert [e['type'] for e in cfg[key]] == ['ShotAccuracy']


def test_base_config_cifar10_lt(small_cifar10, tmp_path):
    cfg = _load_base('cifar10_lt.py', tmp_path, override=(
        "train_dataloader = dict(dataset=dict(imbalance_factor=50))\n"
        "val_dataloader = dict(dataset=dict(imbalance_factor=50))\n"
        "test_dataloader = dict(dataset=dict(imbalance_factor=50))\n"))
    _check_common(cfg, 10)
    assert cfg.train_dataloader.dataset.imbalance_factor == 50
    assert cfg.train_dataloader.dataset.pipeline[0]['type'] == 'RandomCrop'  # merged, not replaced
    root = small_cifar10['root']
    train = _loader(cfg.train_dataloader, data_root=root, serialize_data=False)
    test = _loader(cfg.test_dataloader, data_root=root, serialize_data=False)
    assert len(train.dataset) == sum(lt_class_sizes(SMALL_N, 10, 50))  # IF 50 everywhere
    assert len(test.dataset) == 10 * SMALL_TEST
    assert train.dataset.metainfo['class_counts'] == test.dataset.metainfo['class_counts']
    batch = next(iter(train))
    assert batch['inputs'][0].shape == (3, 32, 32) and len(batch['inputs']) == 64


def test_base_config_cifar100_lt(small_cifar100, tmp_path):
    cfg = _load_base('cifar100_lt.py', tmp_path)
    _check_common(cfg, 100)
    val = _loader(cfg.val_dataloader, data_root=small_cifar100, serialize_data=False)
    assert list(val.dataset.metainfo['class_counts']) == lt_class_sizes(20, 100, 100)  # IF 100
    assert len(val.dataset) == 400


def test_base_config_cifar10_lt_jpeg(small_cifar10, tmp_path):
    cfg = _load_base('cifar10_lt_jpeg.py', tmp_path)
    _check_common(cfg, 10)
    assert cfg.data_preprocessor.to_rgb
    tree = small_cifar10['tree']
    train_cfg = cfg.train_dataloader
    train_cfg.dataset.dataset.data_root = tree
    val_cfg = cfg.val_dataloader
    val_cfg.dataset.dataset.data_root = tree
    val_cfg.dataset.train_dataset.data_root = tree
    train, val = _loader(train_cfg), _loader(val_cfg)
    ref = CIFAR10LT(data_root=small_cifar10['root'], imbalance_factor=100)
    assert train.dataset.metainfo['class_counts'] == ref.metainfo['class_counts'] \
        == val.dataset.metainfo['class_counts']
    assert len(val.dataset) == 10 * SMALL_TEST
    batch = next(iter(val))
    assert batch['inputs'][0].shape == (3, 32, 32)


@pytest.mark.parametrize('name,num_classes,train_list,eval_lists', [
    ('imagenet_lt.py', 1000, 'ImageNet_LT_train.txt', ('ImageNet_LT_val.txt',
                                                       'ImageNet_LT_test.txt')),
    ('inat2018.py', 8142, 'iNaturalist18_train.txt', ('iNaturalist18_val.txt', )),
    ('places_lt.py', 365, 'Places_LT_train.txt', ('Places_LT_val.txt', 'Places_LT_test.txt')),
])
def test_base_config_large_scale(tmp_path, name, num_classes, train_list, eval_lists):
    cfg = _load_base(name, tmp_path)
    _check_common(cfg, num_classes)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types == ['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs']
    assert [t['type'] for t in cfg.test_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'ResizeEdge', 'CenterCrop', 'PackInputs']
    assert cfg.val_dataloader.dataset.ann_file == eval_lists[0]
    assert cfg.test_dataloader.dataset.ann_file == eval_lists[-1]
    train_labels = _gen_labels(num_classes, 6, 1, seed=2)
    write_list(tmp_path / train_list, train_labels)
    for ev in eval_lists:
        write_list(tmp_path / ev, np.arange(num_classes))
    counts = tuple(np.bincount(train_labels, minlength=num_classes).tolist())
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = _loader(cfg[key], data_root=str(tmp_path))
        assert loader.dataset.metainfo['class_counts'] == counts
        assert len(loader.dataset) == (len(train_labels) if key == 'train_dataloader' else
                                       num_classes)
