"""The Difficulty-Net CIFAR configs on the fast path: every one's training pipeline translates
into batched steps, and one config trains a few fast-path iterations on tiny data."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import RUNNERS

import mmltr  # noqa: F401
from mmltr.engine.fast_path import build_batch_pipeline

init_default_scope('mmpretrain')
torch.set_num_threads(1)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CIFAR_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'difficulty_net',
                                          'difficulty-net*_resnet32_*_cifar*.py')))


def test_the_cifar_configs_are_found():
    # stage 1 (paper and driver-only) and stage 2 (LAS): CIFAR-100-LT IF10/50/100/200 and
    # CIFAR-10-LT IF100 each; the paper's stage 1 also CIFAR-10-LT IF10/50/200
    assert len(CIFAR_CONFIGS) == 3 * 5 + 3


@pytest.mark.parametrize('path', CIFAR_CONFIGS, ids=[osp.basename(p) for p in CIFAR_CONFIGS])
def test_train_pipeline_translates(path, config_loader, synthetic_images):
    cfg = config_loader(path)
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t['type'] for t in pipeline][-3:] == [
        'DifficultyNetAutoAugment', 'MeanCutout', 'PackInputs']
    batch = build_batch_pipeline(pipeline)  # raises UnsupportedTransformError if it cannot
    assert [type(s).__name__ for s in batch.steps] == [
        'BatchRandomCrop', 'BatchRandomCrop', 'BatchRandomFlip',
        'BatchDifficultyNetAutoAugment', 'BatchMeanCutout']
    x = torch.from_numpy(synthetic_images(8, seed=5)).permute(0, 3, 1, 2)
    out = batch(x, torch.Generator().manual_seed(0))
    assert out.shape == (8, 3, 32, 32) and torch.equal(out, out.round())


def _tiny(cfg, data_root, work_dir):
    """The config on fake CIFAR-10 (4 meta images per class, IF 10), a ResNet-8, batch 16,
    one epoch, no worker processes, the fast path on."""

    def shrink(node):
        if isinstance(node, dict):
            if 'data_root' in node:  # a dataset
                node['serialize_data'] = False  # faster
            for key, value in node.items():
                if key == 'data_root':
                    node[key] = data_root
                elif key == 'meta_per_class':
                    node[key] = 4
                elif key == 'imbalance_factor':
                    node[key] = 10
                elif key == 'batch_size':
                    node[key] = 16
                elif key == 'num_workers':
                    node[key] = 0
                elif key == 'persistent_workers':
                    node[key] = False
                else:
                    shrink(value)
        elif isinstance(node, list):
            for value in node:
                shrink(value)

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'custom_hooks'):
        shrink(cfg[key])
    cfg.model.backbone.depth = 8
    cfg.train_cfg.max_epochs = 1
    cfg.val_evaluator = cfg.test_evaluator = [dict(type='ShotAccuracy', many_thr=10,
                                                   few_thr=3)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1, save_last=False)
    cfg.work_dir = work_dir
    cfg.runner_type = 'FastPathRunner'
    cfg.fast_path = dict(enable=True)
    return cfg


def test_a_config_trains_on_the_fast_path(config_loader, fake_cifar, tmp_path, monkeypatch):
    # the runner formats the whole config with yapf five times (logs, dumps): seconds, skipped
    monkeypatch.setattr(Config, 'pretty_text', property(lambda self: repr(self._cfg_dict)))
    root = str(tmp_path / 'cifar')
    fake_cifar(root)
    path = osp.join(ROOT, 'configs', 'difficulty_net',
                    'difficulty-net_resnet32_1xb128_cifar10-lt-if100.py')
    assert path in CIFAR_CONFIGS
    cfg = _tiny(config_loader(path), root, str(tmp_path / 'wd'))
    runner = RUNNERS.build(cfg)
    runner.train()
    loop = runner.train_loop
    assert type(loop).__name__ == 'GPUEpochBasedTrainLoop'
    assert loop.pipeline.descriptions == [
        'RandomCrop', 'RandomCrop', 'RandomFlip', 'DifficultyNetAutoAugment', 'MeanCutout']
    assert runner.iter == loop.max_iters >= 2
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == runner.iter and np.isfinite(losses).all()
    assert len(runner.message_hub.get_scalar('train/loss_meta').data[0]) == runner.iter
