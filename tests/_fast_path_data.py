"""Tiny on-disk datasets and configs shared by test_fast_path.py and test_benchmark_tools.py."""
import os
import os.path as osp
import pickle

import numpy as np

CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship',
                   'truck']


def synthetic_images(n: int, size: int = 32, channels: int = 3, seed: int = 0) -> np.ndarray:
    """``(n, size, size, channels)`` uint8 images with natural-image-like structure.

    Smooth low-frequency colour fields, a bright disc and an edge, plus a little noise: enough
    texture and dynamic range for the geometric and histogram ops to do something non-trivial.
    """
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    out = np.zeros((n, size, size, channels), np.float64)
    for i in range(n):
        for c in range(channels):
            fx, fy, ph = rng.uniform(0.5, 3, 2).tolist() + [rng.uniform(0, 6.3)]
            lo, hi = sorted(rng.uniform(0, 255, 2))
            field = 0.5 + 0.5 * np.sin(2 * np.pi * (fx * xx + fy * yy) + ph)
            out[i, :, :, c] = lo + (hi - lo) * field
        cx, cy, r = rng.uniform(0.2, 0.8, 2).tolist() + [rng.uniform(0.1, 0.3)]
        disc = ((xx - cx)**2 + (yy - cy)**2) < r * r
        out[i][disc] = rng.uniform(0, 255, channels)
        out[i, :, :int(size * rng.uniform(0.1, 0.4))] *= 0.5  # an edge
        out[i] += rng.normal(0, 6, (size, size, channels))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def class_images(labels, size=32, seed=0) -> np.ndarray:
    """Learnable images: a class-dependent bright blob on a noisy background (CHW-flat)."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = np.zeros((len(labels), 3, size, size), np.float32)
    for i, c in enumerate(labels):
        cx, cy = 6 + 2 * (c % 10), 26 - 2 * (c % 10)
        out[i, c % 3] += 220 * np.exp(-((xx - cx)**2 + (yy - cy)**2) / 30.0)
        out[i] += rng.rand(3, size, size) * 35
    return np.clip(out, 0, 255).astype(np.uint8).reshape(len(labels), -1)


def make_fake_cifar10(root: str, per_class_train: int = 20, per_class_test: int = 4,
                      seed: int = 0) -> str:
    """The official CIFAR-10 python layout (``cifar-10-batches-py``) with tiny learnable data."""
    rng = np.random.RandomState(seed)
    d = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(d, exist_ok=True)
    labels = np.repeat(np.arange(10), per_class_train)
    rng.shuffle(labels)
    for k, part in enumerate(np.array_split(np.arange(len(labels)), 5)):
        with open(osp.join(d, f'data_batch_{k + 1}'), 'wb') as f:
            pickle.dump({'data': class_images(labels[part], seed=seed + k),
                         'labels': labels[part].tolist()}, f)
    test_labels = np.repeat(np.arange(10), per_class_test)
    with open(osp.join(d, 'test_batch'), 'wb') as f:
        pickle.dump({'data': class_images(test_labels, seed=seed + 99),
                     'labels': test_labels.tolist()}, f)
    with open(osp.join(d, 'batches.meta'), 'wb') as f:
        pickle.dump({'label_names': CIFAR10_CLASSES}, f)
    return root


def make_fake_cifar10_jpeg(root: str, per_class_train: int = 6, per_class_test: int = 2,
                           seed: int = 0) -> str:
    """``train/<class>/NNNN.jpg`` + ``test/<class>/NNNN.jpg`` (the shared cifar10-jpeg layout)."""
    import cv2
    imgs = synthetic_images(10 * (per_class_train + per_class_test), seed=seed)
    k = 0
    for split, per in (('train', per_class_train), ('test', per_class_test)):
        for name in CIFAR10_CLASSES:
            os.makedirs(osp.join(root, split, name), exist_ok=True)
            for j in range(per):
                cv2.imwrite(osp.join(root, split, name, f'{j:04d}.jpg'), imgs[k])
                k += 1
    return root


def cifar_fast_config(data_root: str, work_dir: str, max_epochs: int = 2, depth: int = 8,
                      fast: bool = True, batch_size: int = 16, extra: str = '') -> str:
    """Write a tiny CIFAR10LT (IF 10) ResNet config; returns its path."""
    cfg = f'''
_base_ = ['{_configs()}/_base_/models/resnet32_cifar.py',
          '{_configs()}/_base_/schedules/cifar_lt_200e.py',
          '{_configs()}/_base_/default_runtime.py']
model = dict(backbone=dict(depth={depth}))
data_preprocessor = dict(num_classes=10, mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7],
                         to_rgb=False)
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='AutoAugment', policies='imagenet', hparams=dict(pad_val=[128, 128, 128])),
    dict(type='Cutout', shape=16, pad_val=0, prob=1.0),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size={batch_size}, num_workers=0, persistent_workers=False,
    dataset=dict(type='CIFAR10LT', data_root='{data_root}', split='train', imbalance_factor=10,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(type='CIFAR10LT', data_root='{data_root}', split='test', imbalance_factor=10,
                 pipeline=[dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = [dict(type='ShotAccuracy', many_thr=15, few_thr=5)]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
train_cfg = dict(by_epoch=True, max_epochs={max_epochs}, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=1, by_epoch=True, begin=1, end=2,
         convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=1, max_keep_ckpts=-1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
work_dir = '{work_dir}'
{"fast_path = dict(enable=True)" if fast else ""}
{"runner_type = 'FastPathRunner'" if fast else ""}
{extra}
'''
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, 'cfg.py')
    with open(path, 'w') as f:
        f.write(cfg)
    return path


def _configs() -> str:
    return osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
