"""Shared test helpers: a free TCP port, a fake runner for hooks, tiny on-disk datasets.

Each helper is a fixture (``free_port``, ``compute_threads``, ``fake_runner``, ``fake_cifar``,
``image_tree``, ``synthetic_images``, ``tiny_cifar_config``, ``fashion_mnist``) so tests anywhere
below ``tests/`` use one copy.
The data writers produce the exact on-disk formats mmltr reads (official CIFAR python pickles,
``<split>/<class>/NNNN.<ext>`` image trees).
"""
import gzip
import os
import os.path as osp
import pickle
import shutil
import socket
import types

import numpy as np
import pytest
from mmengine.runner import BaseLoop
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES, CIFAR100_CATEGORIES

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs')


# ---------------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------------
def _xdist_worker() -> bool:
    """Whether this is one of pytest-xdist's test processes (``-n 2``)."""
    return bool(os.environ.get('PYTEST_XDIST_WORKER'))


def pytest_configure(config):
    """Under pytest-xdist (``-n 2``: two test processes on a 2-core machine) every test process
    and the tools it starts run one OpenMP thread: two processes with a pool per core each spin
    against each other (the suite took 21 min that way, against 15 min with one thread each)."""
    if _xdist_worker():
        os.environ['OMP_NUM_THREADS'] = '1'
        import torch
        torch.set_num_threads(1)


@pytest.fixture
def compute_threads() -> int:
    """torch threads for a compute-bound test: both cores of the CI machine when the test runs
    alone, one under pytest-xdist (the other test process has the other core)."""
    return 1 if _xdist_worker() else 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for gloo process groups / torchrun)."""
    return _free_port()


# ---------------------------------------------------------------------------------------------
# a runner for hook tests
# ---------------------------------------------------------------------------------------------
class _BuiltLoop(BaseLoop):
    """A built train loop (``runner.train()`` builds it before ``before_run``)."""

    def __init__(self, dataset=None):  # no runner/dataloader needed
        self.dataloader = types.SimpleNamespace(dataset=dataset)

    def run(self):  # pragma: no cover
        pass


class _LabelDataset:
    """A dataset that only carries ``metainfo['class_counts']`` and ``classes``."""

    def __init__(self, counts):
        self.metainfo = dict(class_counts=tuple(int(c) for c in counts),
                             classes=tuple(str(i) for i in range(len(counts))))


class _Logger:

    def __init__(self):
        self.messages = []

    def info(self, msg):
        self.messages.append(msg)

    warning = info

    @property
    def last(self):
        return self.messages[-1] if self.messages else None


class FakeRunner:
    """The parts of an MMEngine ``Runner`` that mmltr's hooks touch.

    ``counts``: the training set's class counts (``train_dataloader.dataset.metainfo``);
    ``training``: whether the train loop is built (as in ``runner.train()``); ``val_counts`` /
    ``test_counts``: built val/test loops whose datasets carry these training counts.
    """

    def __init__(self, model, counts=(50, 20, 5), training=True, val_counts=None,
                 test_counts=None, epoch=0):
        self.model = model
        self.train_dataloader = types.SimpleNamespace(dataset=_LabelDataset(counts))
        self._train_loop = _BuiltLoop(self.train_dataloader.dataset) if training else dict()
        self._val_loop = None if val_counts is None else _BuiltLoop(_LabelDataset(val_counts))
        self._test_loop = None if test_counts is None else _BuiltLoop(_LabelDataset(test_counts))
        self.epoch = epoch
        self.logger = _Logger()


@pytest.fixture
def fake_runner():
    """The :class:`FakeRunner` class: ``fake_runner(model, counts=[...], ...)``."""
    return FakeRunner


# ---------------------------------------------------------------------------------------------
# images
# ---------------------------------------------------------------------------------------------
def make_synthetic_images(n: int, size: int = 32, channels: int = 3, seed: int = 0) -> np.ndarray:
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


@pytest.fixture
def synthetic_images():
    """``synthetic_images(n, size=32, channels=3, seed=0)`` -> (n, H, W, C) uint8."""
    return make_synthetic_images


def class_images(labels, size: int = 32, seed: int = 0) -> np.ndarray:
    """Learnable RGB images, (N, H, W, 3) uint8: a class-dependent blob on a noisy background."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = np.zeros((len(labels), 3, size, size), np.float32)
    for i, c in enumerate(labels):
        cx, cy = 6 + 2 * (c % 10), 26 - 2 * (c % 10)
        out[i, c % 3] += 220 * np.exp(-((xx - cx)**2 + (yy - cy)**2) / 30.0)
        out[i] += rng.rand(3, size, size) * 35
    return np.clip(out, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)


# ---------------------------------------------------------------------------------------------
# CIFAR python pickles
# ---------------------------------------------------------------------------------------------
def _dump(path, obj):
    # The originals are Python-2 protocol-2 pickles; protocol 4 loads through the same code
    # (pickle.loads(..., encoding='latin1')) and is much faster to write.
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=4)


def _balanced_labels(rng, num_classes, per_class):
    labels = np.repeat(np.arange(num_classes), per_class)
    rng.shuffle(labels)
    return labels


def _images(labels, rng, learnable, seed):
    if learnable:
        return class_images(labels, seed=seed)
    return rng.randint(0, 256, (len(labels), 32, 32, 3)).astype(np.uint8)


def _flat(hwc):
    """HWC RGB images -> the pickles' (N, 3072) channel-planar rows."""
    return np.ascontiguousarray(hwc.transpose(0, 3, 1, 2)).reshape(len(hwc), -1)


def write_fake_cifar(root, num_classes: int = 10, per_class: int = 20, test_per_class: int = 4,
                     seed: int = 0, learnable: bool = True):
    """The official python layout (``cifar-10-batches-py`` / ``cifar-100-python``) of a small
    balanced CIFAR-10/100 with shuffled labels.

    ``learnable=True`` draws class-dependent images a small network learns in a few steps, else
    uniform noise. Returns ``(train HWC RGB uint8, train labels, test images, test labels)`` in
    file order.
    """
    if num_classes not in (10, 100):
        raise ValueError('num_classes must be 10 or 100')
    rng = np.random.RandomState(seed)
    labels = _balanced_labels(rng, num_classes, per_class)
    imgs = _images(labels, rng, learnable, seed)
    test_labels = _balanced_labels(rng, num_classes, test_per_class)
    test_imgs = _images(test_labels, rng, learnable, seed + 99)
    if num_classes == 10:
        folder = osp.join(root, 'cifar-10-batches-py')
        os.makedirs(folder, exist_ok=True)
        for b, part in enumerate(np.array_split(np.arange(len(labels)), 5), 1):
            _dump(osp.join(folder, f'data_batch_{b}'),
                  {'batch_label': f'training batch {b} of 5', 'labels': labels[part].tolist(),
                   'data': _flat(imgs[part]),
                   'filenames': [f'img_{b}_{i}.png' for i in range(len(part))]})
        _dump(osp.join(folder, 'test_batch'),
              {'batch_label': 'testing batch 1 of 1', 'labels': test_labels.tolist(),
               'data': _flat(test_imgs),
               'filenames': [f't_{i}.png' for i in range(len(test_labels))]})
        _dump(osp.join(folder, 'batches.meta'),
              {'label_names': list(CIFAR10_CATEGORIES), 'num_cases_per_batch': len(labels) // 5,
               'num_vis': 3072})
    else:
        folder = osp.join(root, 'cifar-100-python')
        os.makedirs(folder, exist_ok=True)
        for split, lab, img in (('train', labels, imgs), ('test', test_labels, test_imgs)):
            _dump(osp.join(folder, split),
                  {'filenames': [f'{split}_{i}.png' for i in range(len(lab))],
                   'batch_label': f'{split}ing batch 1 of 1', 'fine_labels': lab.tolist(),
                   'coarse_labels': (lab // 5).tolist(), 'data': _flat(img)})
        _dump(osp.join(folder, 'meta'), {'fine_label_names': list(CIFAR100_CATEGORIES),
                                         'coarse_label_names': [f'c{i}' for i in range(20)]})
    return imgs, labels, test_imgs, test_labels


@pytest.fixture(scope='session')  # a writer function: usable by module-scoped data
def fake_cifar():
    """:func:`write_fake_cifar` (official CIFAR-10/100 pickles)."""
    return write_fake_cifar


# ---------------------------------------------------------------------------------------------
# image folder trees (the layout of the JPEG CIFAR-10 copy)
# ---------------------------------------------------------------------------------------------
def write_image_tree(root, images, labels, classes=CIFAR10_CATEGORIES, ext: str = '.png'):
    """``root/<class>/NNNN<ext>`` for RGB ``images``; NNNN = rank within the class (file order).

    Sorted file names therefore keep the per-class order of ``images``. Returns ``root``.
    """
    import cv2
    rank = np.zeros(len(classes), dtype=np.int64)
    for c in classes:
        os.makedirs(osp.join(root, c), exist_ok=True)
    for img, label in zip(images, labels):
        path = osp.join(root, classes[label], f'{rank[label]:04d}{ext}')
        assert cv2.imwrite(path, np.ascontiguousarray(img[..., ::-1]))  # RGB -> BGR for OpenCV
        rank[label] += 1
    return str(root)


@pytest.fixture(scope='session')  # a writer function: usable by module-scoped data
def image_tree():
    """:func:`write_image_tree`."""
    return write_image_tree


# ---------------------------------------------------------------------------------------------
# a tiny CIFAR10LT training config
# ---------------------------------------------------------------------------------------------
def write_tiny_cifar_config(data_root: str, work_dir: str, max_epochs: int = 2, depth: int = 8,
                            fast: bool = True, batch_size: int = 16, extra: str = '') -> str:
    """A tiny CIFAR10LT (IF 10) ResNet config over :func:`write_fake_cifar` data; its path."""
    cfg = f'''
_base_ = ['{CONFIGS}/_base_/models/resnet32_cifar.py',
          '{CONFIGS}/_base_/schedules/cifar_lt_200e.py',
          '{CONFIGS}/_base_/default_runtime.py']
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


@pytest.fixture
def tiny_cifar_config():
    """:func:`write_tiny_cifar_config`."""
    return write_tiny_cifar_config


# ---------------------------------------------------------------------------------------------
# configs, each parsed once per test session
# ---------------------------------------------------------------------------------------------
_CONFIG_CACHE = {}


def load_config(path: str):
    """``Config.fromfile(path)`` parsed once per session; each call returns a deep copy."""
    import copy

    from mmengine.config import Config
    path = osp.abspath(path if osp.isabs(path) else osp.join(ROOT, path))
    if path not in _CONFIG_CACHE:
        _CONFIG_CACHE[path] = Config.fromfile(path)
    return copy.deepcopy(_CONFIG_CACHE[path])


@pytest.fixture
def config_loader():
    """:func:`load_config`: a repo config (absolute, or relative to the repo root), cached."""
    return load_config


def missing_data(name: str, reason: str):
    """Skip a test whose real dataset ``name`` is not on this machine, or fail it when
    ``MMLTR_REQUIRE_DATA`` (comma-separated names) lists it: CI's ``.ci/run`` installs
    Fashion-MNIST and sets ``MMLTR_REQUIRE_DATA=fashion-mnist``, so those tests cannot silently
    not run there."""
    if name in os.environ.get('MMLTR_REQUIRE_DATA', '').split(','):
        pytest.fail(f'{reason} (MMLTR_REQUIRE_DATA lists {name})')
    pytest.skip(reason)


@pytest.fixture(scope='session')
def fashion_mnist(tmp_path_factory):
    """The real Fashion-MNIST idx files: data/fashion-mnist (what the quickstart prepares), else
    Debian's dataset-fashion-mnist package, un-gzipped into a temporary folder."""
    prepared = osp.join(ROOT, 'data', 'fashion-mnist')
    if osp.exists(osp.join(prepared, 'train-labels-idx1-ubyte')):
        return prepared
    debian = '/usr/share/datasets/fashion-mnist'
    if not osp.exists(osp.join(debian, 'train-labels-idx1-ubyte.gz')):
        missing_data('fashion-mnist', 'Fashion-MNIST is in neither data/fashion-mnist nor the '
                     'Debian package dataset-fashion-mnist')
    root = tmp_path_factory.mktemp('fashion_mnist')
    for name in os.listdir(debian):  # mmpretrain reads the un-gzipped idx files
        if name.endswith('.gz'):
            with gzip.open(osp.join(debian, name)) as src, open(root / name[:-3], 'wb') as dst:
                shutil.copyfileobj(src, dst)
    return str(root)


def _read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _write_idx(path, array):
    with open(path, 'wb') as f:
        f.write(bytes([0, 0, 8, array.ndim]))
        for n in array.shape:
            f.write(int(n).to_bytes(4, 'big'))
        f.write(np.ascontiguousarray(array, np.uint8).tobytes())


@pytest.fixture(scope='session')
def fashion_mnist_subset(fashion_mnist, tmp_path_factory):
    """A balanced slice of the real Fashion-MNIST in its own idx files: the first 300 training
    and 100 test images of every class (file order), so ``FashionMNIST`` loads it instantly."""
    root = tmp_path_factory.mktemp('fashion_mnist_subset')
    for split, prefix, per_class in (('train', 'train', 300), ('test', 't10k', 100)):
        images = _read_idx(osp.join(fashion_mnist, f'{prefix}-images-idx3-ubyte'))
        labels = _read_idx(osp.join(fashion_mnist, f'{prefix}-labels-idx1-ubyte'))
        keep = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class]
                                       for c in range(10)]))
        _write_idx(str(root / f'{prefix}-images-idx3-ubyte'), images[keep])
        _write_idx(str(root / f'{prefix}-labels-idx1-ubyte'), labels[keep])
    return str(root)


SMALL_N, SMALL_TEST = 100, 10  # small_cifar10: CIFAR-10 images per class of the train / test split


@pytest.fixture(scope='module')
def small_cifar10(tmp_path_factory, fake_cifar, image_tree):
    """The same small CIFAR-10 as official pickles and as a ``<split>/<class>/NNNN.png`` tree
    (NNNN = rank within the class)."""
    root = str(tmp_path_factory.mktemp('small_cifar10'))
    imgs, labels, test_imgs, test_labels = fake_cifar(root, 10, per_class=SMALL_N,
                                                      test_per_class=SMALL_TEST, seed=5,
                                                      learnable=False)
    image_tree(osp.join(root, 'tree', 'train'), imgs, labels)
    image_tree(osp.join(root, 'tree', 'test'), test_imgs, test_labels)
    return dict(root=root, tree=osp.join(root, 'tree'), imgs=imgs, labels=labels,
                test_labels=test_labels)


def head_loss_with_defaults(cfg):
    """A config's head loss dict with its class's default arguments filled in (as
    ``tools/misc/dump_configs.py --fill-defaults`` does)."""
    import sys

    from mmengine.config import ConfigDict
    sys.path.insert(0, osp.join(ROOT, 'tools', 'misc'))
    from dump_configs import fill_defaults
    loss = cfg.model.head.loss.to_dict()
    fill_defaults(loss)
    return ConfigDict(loss)


def tiny_checkpoint(tmp_path, fake_cifar, tiny_cifar_config, num_classes=10):
    """``(config path, config, checkpoint)``: the tiny CIFAR10LT config on fake CIFAR-10 and an
    untrained model's checkpoint (``num_classes`` in its head, to test mismatches too)."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    fake_cifar(str(tmp_path / 'data'))
    cfg_path = tiny_cifar_config(str(tmp_path / 'data'), str(tmp_path / 'wd'), fast=False)
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model_cfg = cfg.model.copy()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor
    model_cfg['head']['num_classes'] = num_classes
    ckpt = str(tmp_path / f'm{num_classes}.pth')
    torch.save({'state_dict': MODELS.build(model_cfg).state_dict()}, ckpt)
    return cfg_path, cfg, ckpt
