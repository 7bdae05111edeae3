"""The configs under configs/ghm_cwap/: the paper's grid, its loss settings (arguments left at their
defaults are read with those defaults filled in, as ``dump_configs.py --fill-defaults`` does), the
LDAM-DRW step schedule, and every distinct ResNet-32 model trains a step."""
import copy
import glob
import json
import os.path as osp
import re

import pytest
import torch
import torch.nn as nn
from conftest import head_loss_with_defaults
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401
from mmltr.models.losses import GHMCWAPLoss

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'ghm_cwap', '**', '*.py'), recursive=True))


def test_config_grid_exists():
    names = {osp.basename(p) for p in CONFIGS}
    for ds in ('cifar10', 'cifar100'):
        for imb in (500, 100, 10, 1):
            for method in ('ghm-cwap', 'seesaw', 'ce'):
                assert f'{method}_resnet32_1xb128_{ds}-lt-if{imb}.py' in names
    for ds in ('imagenet-lt', 'inat2018'):
        for method in ('ghm-cwap', 'seesaw'):
            assert f'{method}_resnet50_4xb64_{ds}.py' in names
    for row in ('r', 'a-ura', 'r-a-ura', 'r-a-aura'):  # paper Table 3
        assert f'ghm-cwap_resnet50_4xb64_imagenet-lt_ablation-{row}.py' in names
        assert f'ghm-cwap_resnet32_1xb128_cifar100-lt-if100_ablation-{row}.py' in names
    # GPU check: GHM-CWAP and Seesaw next to the DBM reproduction's 100-epoch CE run
    for method in ('seesaw', 'ghm-cwap'):
        assert f'{method}_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py' in names
    assert osp.exists(osp.join(ROOT, 'configs', 'dbm', 'jpeg',
                               'ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py'))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_loads_and_buildshead_loss_with_defaults(path, config_loader):
    cfg = config_loader(path)
    head = cfg.model.head
    loss_cfg = head_loss_with_defaults(cfg)
    assert loss_cfg.type in ('GHMCWAPLoss', 'SeesawLoss', 'CrossEntropyLoss')
    if loss_cfg.type in ('GHMCWAPLoss', 'SeesawLoss'):
        assert loss_cfg.num_classes == head.num_classes
        preprocessor = cfg.get('data_preprocessor', {})
        assert preprocessor.get('num_classes', head.num_classes) == head.num_classes
    name = osp.basename(path)
    if loss_cfg.type == 'GHMCWAPLoss':
        assert (loss_cfg.bins, loss_cfg.alpha, loss_cfg.gamma) == (30, 0.9, 0.8)
        assert loss_cfg.max_weight == 1.0
        row = re.search(r'_ablation-([a-z-]+)\.py$', name)
        expected = {None: (True, True, True), 'r': (True, False, False),
                    'a-ura': (False, True, False), 'r-a-ura': (True, True, False),
                    'r-a-aura': (True, True, True)}[row.group(1) if row else None]
        assert (loss_cfg.use_intra, loss_cfg.use_inter, loss_cfg.adaptive_bins) == expected
    elif 'ablation' in name:
        raise AssertionError(f'{name}: an ablation config must use GHMCWAPLoss')
    if 'jpeg' in name:  # the GPU check: the DBM reproduction's recipe shortened to 100 epochs
        assert cfg.train_dataloader.batch_size == 64 and cfg.train_cfg.max_epochs == 100
        assert cfg.train_dataloader.dataset.imbalance_factor == 100
        assert max(s.get('end', 0) for s in cfg.param_scheduler) == 100
    elif 'resnet32' in name:  # LDAM-style CIFAR recipe
        assert cfg.train_dataloader.batch_size == 128 and cfg.train_cfg.max_epochs == 200
        assert cfg.optim_wrapper.optimizer.lr == 0.1
        imb = int(re.search(r'-lt-if(\d+)', name).group(1))
        assert cfg.train_dataloader.dataset.imbalance_factor == imb
        assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
            'RandomCrop', 'RandomFlip', 'PackInputs']
    MODELS.build(copy.deepcopy(head.loss))


def test_cifar_lt_200e_step_schedule_factors(config_loader):
    """LDAM-DRW: lr·(e+1)/5 for epochs 0..4, ×0.01 from epoch 160 and ×0.0001 from 180."""
    cfg = config_loader('configs/_base_/schedules/cifar_lt_200e_step.py')
    wrapper = build_optim_wrapper(nn.Linear(2, 2), cfg.optim_wrapper)
    scheds = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper)) for s in cfg.param_scheduler]
    lrs = []
    for _ in range(200):  # ParamSchedulerHook steps epoch-based schedulers after each epoch
        lrs.append(wrapper.optimizer.param_groups[0]['lr'])
        wrapper.optimizer.step()  # no gradients: a no-op that keeps the step order canonical
        for s in scheds:
            s.step()
    expected = [0.1 * (e + 1) / 5 if e < 5 else 0.1 if e < 160 else 1e-3 if e < 180 else 1e-5
                for e in range(200)]
    assert lrs == pytest.approx(expected, rel=1e-9)


def test_every_distinct_resnet32_model_trains_a_step(config_loader):
    models = {}  # distinct model config -> the first config that uses it
    for path in (p for p in CONFIGS if 'resnet32' in p):
        model_cfg = config_loader(path).model
        models.setdefault(json.dumps(model_cfg.to_dict(), sort_keys=True, default=str),
                          (osp.basename(path), model_cfg))
    assert len(models) >= 9  # {GHM-CWAP, Seesaw, CE} x {10, 100 classes} + 3 ablations
    for name, model_cfg in models.values():
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        C = model_cfg.head.num_classes
        loss_module = model.head.loss_module
        if getattr(loss_module, 'needs_class_counts', False):
            loss_module.set_class_counts([max(1, 100 - c) for c in range(C)])
        x = torch.randn(4, 3, 32, 32)
        samples = [DataSample().set_gt_label(c % C) for c in range(4)]
        losses = model(x, samples, mode='loss')
        assert torch.isfinite(losses['loss']), name
        losses['loss'].backward()
        if isinstance(loss_module, GHMCWAPLoss):
            assert loss_module.fine_hist.sum() == 4, name
