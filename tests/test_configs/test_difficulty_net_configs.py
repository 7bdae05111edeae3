"""The Difficulty-Net configs wire the meta step: two optimizers, the hooks, the meta set."""
import glob
import os.path as osp

import pytest
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'difficulty_net', '**', 'difficulty-net_*.py'),
                           recursive=True))
HOLDOUT_CE = osp.join(ROOT, 'configs', 'difficulty_net', 'jpeg',
                      'ce_resnet32_1xb128_cifar10-jpeg-lt-if100_holdout.py')
DN_JPEG = osp.join(ROOT, 'configs', 'benchmark',
                   'difficulty-net_resnet32_1xb128_cifar10-jpeg-lt-if100.py')


def test_every_config_of_the_folder_is_checked():
    every = glob.glob(osp.join(ROOT, 'configs', 'difficulty_net', '**', '*.py'), recursive=True)
    assert sorted(set(every) - set(CONFIGS)) == [HOLDOUT_CE]


def test_holdout_ce_differs_from_difficulty_net_only_by_the_meta_step(config_loader):
    """The CE baseline trains on Difficulty-Net's long-tailed set (hold-out removed), with its
    data, batch, model optimizer and schedule, and no meta step."""
    ce, dn = config_loader(HOLDOUT_CE), config_loader(DN_JPEG)
    assert ce.model.type == 'ImageClassifier'
    for key in ('backbone', 'neck', 'head'):
        assert ce.model[key] == dn.model[key]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'data_preprocessor',
                'train_cfg'):
        assert ce[key] == dn[key], key
    assert ce.train_dataloader.dataset.subset == 'lt'
    assert ce.optim_wrapper.optimizer == dn.optim_wrapper.model.optimizer
    assert ce.param_scheduler == dn.param_scheduler['model']
    assert [h['type'] for h in ce.custom_hooks] == ['LongTailLossHook', 'PerClassAccuracyHook']


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_configs_wire_the_meta_step(path, config_loader):
    cfg = config_loader(path)
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
    assert list(ow.keys()) == ['model', 'difficulty_net']
    assert type(ow['difficulty_net'].optimizer).__name__ == 'Adam'
    assert model.difficulty_net.num_classes == model.num_classes
