"""A tiny DifficultyNetClassifier setup shared by the Difficulty-Net tests (model, optimizer,
data): a Conv-BN network (BatchNorm buffers, second-order-capable ops), 8x8 images, 5 classes."""
import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401

C = 5


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
    """Random 8x8 RGB images, ``counts[c]`` per class, deterministic."""

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
    """A seeded model (``model_cfg(**kw)``) and its optimizer wrappers."""
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg(**kw))
    return model, build_ow(model)


def batch(n, seed):
    """A data batch as the dataloader gives it: uint8 images and labels ``i % C``."""
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 256, (3, 8, 8), generator=g, dtype=torch.uint8)
                for _ in range(n)],
        data_samples=[DataSample().set_gt_label(i % C) for i in range(n)])


def endless(seed):
    """An endless iterator of meta batches."""
    i = 0
    while True:
        yield batch(10, 1000 + seed + i)
        i += 1
