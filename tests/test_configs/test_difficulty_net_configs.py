"""The Difficulty-Net configs wire the meta step: two optimizers, the hooks, the meta set."""
import glob
import os.path as osp

import pytest
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ALL = sorted(glob.glob(osp.join(ROOT, 'configs', 'difficulty_net', '**', '*.py'), recursive=True))
STAGE2 = [p for p in ALL if osp.basename(p).startswith('difficulty-net-las_')]
CONFIGS = [p for p in ALL if osp.basename(p).startswith('difficulty-net')
           and p not in STAGE2]  # stage 1
HOLDOUT_CE = osp.join(ROOT, 'configs', 'difficulty_net', 'jpeg',
                      'ce_resnet32_1xb128_cifar10-jpeg-lt-if100_holdout.py')
DN_JPEG = osp.join(ROOT, 'configs', 'benchmark',
                   'difficulty-net_resnet32_1xb128_cifar10-jpeg-lt-if100.py')


def mislas_pair(imbalance_factor):
    """(eps_head, eps_tail) of the authors' CIFAR stage-2 script for an imbalance factor."""
    if imbalance_factor > 100:
        return 0.4, 0.0
    if imbalance_factor > 50:
        return 0.4, 0.1
    if imbalance_factor > 20:
        return 0.3, 0.0
    return 0.2, 0.0


def test_every_config_of_the_folder_is_checked():
    assert sorted(set(ALL) - set(CONFIGS) - set(STAGE2)) == [HOLDOUT_CE]


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
    released = osp.basename(path).startswith('difficulty-net-driver-only_')
    assert model.meta_gradient == ('driver_only' if released else 'second_order')


RELEASED = [p for p in CONFIGS if osp.basename(p).startswith('difficulty-net-driver-only_')]


@pytest.mark.parametrize('path', RELEASED, ids=[osp.basename(p) for p in RELEASED])
def test_released_code_variant_differs_only_in_the_meta_gradient(path, config_loader):
    paper = osp.join(osp.dirname(path), osp.basename(path).replace('-driver-only_', '_'))
    released, second = config_loader(path).to_dict(), config_loader(paper).to_dict()
    assert released['model'].pop('meta_gradient') == 'driver_only'
    assert 'meta_gradient' not in second['model']  # the default, 'second_order'
    assert released == second


@pytest.mark.parametrize('path', STAGE2, ids=[osp.basename(p) for p in STAGE2])
def test_stage2_las_configs(path, config_loader):
    cfg = config_loader(path)
    assert cfg.model.type == 'ImageClassifier' and cfg.get('model_wrapper_cfg') is None
    head = cfg.model.head
    assert head.type == 'DecoupledClsHead' and head.scales
    loss = head.loss
    assert loss.type == 'LabelAwareSmoothingLoss' and loss.get('shape', 'concave') == 'concave'
    if 'cifar' in path:  # the released CIFAR script's pair per imbalance factor
        assert (loss.eps_head, loss.eps_tail) == mislas_pair(
            cfg.train_dataloader.dataset.imbalance_factor)
        assert head.train_weights and cfg.train_dataloader.sampler.num_samples_cls == 4
        assert cfg.train_cfg.max_epochs == 50 and cfg.optim_wrapper.optimizer.lr == 0.05
    elif 'imagenet' in path:
        assert (loss.eps_head, loss.eps_tail) == (0.3, 0.0) and not head.train_weights
        assert cfg.train_cfg.max_epochs == 10
    else:
        assert (loss.eps_head, loss.eps_tail) == (0.4, 0.1) and not head.train_weights
        assert cfg.train_cfg.max_epochs == 20
    # stage 2 of the released-code (driver-only) stage 1 of the same data
    assert 'difficulty-net-driver-only_' in cfg.load_from
