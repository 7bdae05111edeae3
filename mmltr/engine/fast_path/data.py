"""Device-resident data: a dataset decoded once and kept on the model's device.

:func:`decode_dataset` runs a dataset's own loading (``dataset[i]`` with the pipeline cut down to
its loading transforms, e.g. ``LoadImageFromFile``; CIFAR/MNIST datasets hold arrays and need
none) or its complete deterministic test pipeline, once per image. :class:`DeviceDataset` holds
the result as one ``uint8`` tensor plus a label tensor; :class:`DeviceDataLoader` iterates it like
a ``DataLoader`` over a test-pipeline dataset (same sampler, same batches; the data samples as
:mod:`.samples` makes them).
"""
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import List, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import DataLoader

from .samples import batch_samples, label_views

__all__ = [
    'LOADING_TRANSFORMS', 'IGNORED_TRANSFORMS', 'find_pipelines', 'split_loading',
    'decode_dataset', 'is_deterministic', 'batch_indices', 'DeviceDataset',
    'DeviceDataLoader'
]

#: Transforms that only load/decode data. The fast loop runs them once per image (on the CPU,
#: with the dataset's own objects) before the images go to the device.
LOADING_TRANSFORMS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'LoadImageFromWebcam')
#: Transforms with no effect on the image tensor that the fast path drops.
IGNORED_TRANSFORMS = ('PackInputs', 'PackClsInputs', 'Collect', 'ToTensor', 'ImageToTensor')
#: Deterministic transforms a test pipeline may hold besides loading/ignored ones.
DETERMINISTIC_TRANSFORMS = ('ResizeEdge', 'Resize', 'CenterCrop')


# ----------------------------------------------------------------------------------------------
# pipelines
# ----------------------------------------------------------------------------------------------
def find_pipelines(dataset) -> list:
    """The ``Compose`` pipelines of ``dataset`` and of the datasets it wraps (depth first)."""
    found, seen, stack = [], set(), [dataset]
    while stack:
        ds = stack.pop(0)
        if ds is None or id(ds) in seen:
            continue
        seen.add(id(ds))
        pipe = getattr(ds, 'pipeline', None)
        # a wrapper may expose its wrapped dataset's pipeline: count each pipeline once
        if pipe is not None and hasattr(pipe, 'transforms') and all(p is not pipe for p in found):
            found.append(pipe)
        inner = getattr(ds, 'dataset', None)
        if inner is not None:
            stack.append(inner)
        stack.extend(getattr(ds, 'datasets', None) or [])
    return found


def split_loading(transforms: Sequence) -> Tuple[list, list]:
    """``(loading prefix, the rest)`` of a list of transform objects."""
    transforms = list(transforms)
    k = 0
    while k < len(transforms) and type(transforms[k]).__name__ in LOADING_TRANSFORMS:
        k += 1
    rest = transforms[k:]
    late = [type(t).__name__ for t in rest if type(t).__name__ in LOADING_TRANSFORMS]
    if late:
        raise ValueError(f'fast path: loading transform(s) {late} after an augmentation; put the '
                         'loading transforms first in the training pipeline.')
    return transforms[:k], rest


def is_deterministic(dataset) -> bool:
    """True if every pipeline of ``dataset`` only loads, packs or resizes/crops (deterministic)."""
    ok = set(LOADING_TRANSFORMS) | set(IGNORED_TRANSFORMS) | set(DETERMINISTIC_TRANSFORMS)
    pipes = find_pipelines(dataset)
    return bool(pipes) and all(type(t).__name__ in ok for p in pipes for t in p.transforms)


@contextmanager
def _pipelines_cut_to_loading(dataset):
    """Temporarily reduce every pipeline of ``dataset`` to its loading transforms."""
    pipes = find_pipelines(dataset)
    saved = [p.transforms for p in pipes]
    try:
        for p in pipes:
            p.transforms = split_loading(p.transforms)[0]
        yield
    finally:
        for p, t in zip(pipes, saved):
            p.transforms = t


# ----------------------------------------------------------------------------------------------
# decoding once
# ----------------------------------------------------------------------------------------------
def _label_of(item, dataset, idx) -> int:
    if isinstance(item, dict):
        if 'gt_label' in item and item['gt_label'] is not None:
            lab = item['gt_label']
            return int(np.asarray(lab).reshape(-1)[0]) if not isinstance(lab, int) else lab
        sample = item.get('data_samples')
        if sample is not None and 'gt_label' in sample:
            return int(sample.gt_label.reshape(-1)[0])
    if hasattr(dataset, 'get_cat_ids'):
        return int(dataset.get_cat_ids(idx)[0])
    raise KeyError(f'fast path: cannot find the label of sample {idx}.')


def _image_of(item, idx) -> np.ndarray:
    """HWC uint8 image of a loaded (``img``) or packed (``inputs``, CHW) sample."""
    if 'img' in item:
        img = np.asarray(item['img'])
        if img.ndim == 2:
            img = img[..., None]
        return img
    if 'inputs' in item:
        x = item['inputs']
        x = x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        if x.ndim == 2:
            x = x[None]
        return np.ascontiguousarray(x.transpose(1, 2, 0))
    raise KeyError(f'fast path: sample {idx} has neither "img" nor "inputs" after loading.')


def decode_dataset(dataset, loading_only: bool, workers: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Every image of ``dataset`` as one ``(N, H, W, C)`` uint8 array, plus the labels.

    ``loading_only=True`` (training sets) runs only the pipeline's loading transforms (no
    augmentation); ``False`` (evaluation sets) runs the complete, deterministic test pipeline,
    so each image is exactly what the standard loop would feed the model.
    """
    n = len(dataset)
    if n == 0:
        raise ValueError('fast path: the dataset is empty.')

    def fetch(indices):
        out = []
        for i in indices:
            item = dataset[i]
            out.append((_image_of(item, i), _label_of(item, dataset, i)))
        return out

    ctx = _pipelines_cut_to_loading(dataset) if loading_only else nullcontext()
    with ctx:
        if workers and workers > 1 and n > 256:
            chunks = np.array_split(np.arange(n), workers * 4)
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(fetch, [c.tolist() for c in chunks]))
            items = [it for part in parts for it in part]
        else:
            items = fetch(range(n))
    shapes = {it[0].shape for it in items}
    if len(shapes) != 1:
        raise ValueError(f'fast path: images have different shapes {sorted(shapes)[:5]}; the '
                         'fast path needs equally sized images (train with the standard loop).')
    imgs = np.stack([it[0] for it in items])
    if imgs.dtype != np.uint8:
        if np.issubdtype(imgs.dtype, np.floating) or imgs.min() < 0 or imgs.max() > 255:
            raise ValueError(f'fast path: images must be uint8 (got {imgs.dtype}).')
        imgs = imgs.astype(np.uint8)
    labels = np.asarray([it[1] for it in items], dtype=np.int64)
    return imgs, labels


class DeviceDataset:
    """A decoded dataset on a device: ``images`` ``(N, C, H, W)`` uint8 and ``labels`` ``(N,)``."""

    def __init__(self, dataset, device, loading_only: bool, workers: int = 0) -> None:
        imgs, labels = decode_dataset(dataset, loading_only, workers)
        self.images = torch.from_numpy(imgs).to(device).permute(0, 3, 1, 2).contiguous()
        self.labels = torch.from_numpy(labels).to(device)
        self.num_samples = len(labels)

    @property
    def nbytes(self) -> int:
        return self.images.numel() * self.images.element_size()


def batch_indices(batch_sampler, device) -> Tuple[List[List[int]], torch.Tensor]:
    """The batches of ``batch_sampler`` (one pass) and all their indices as one device tensor
    (one copy per pass, no host synchronisation)."""
    batches = [list(map(int, b)) for b in batch_sampler]
    flat = torch.tensor([i for b in batches for i in b], dtype=torch.long)
    return batches, flat.to(device, non_blocking=True)


class DeviceDataLoader:
    """A drop-in for a ``DataLoader`` over a deterministic (test-pipeline) dataset, on the device.

    The dataset is decoded once (complete pipeline); iterating yields
    ``dict(inputs=uint8 (B, C, H, W), data_samples=[DataSample(gt_label)...])`` batches in the
    order of the wrapped loader's ``batch_sampler`` (same shuffling, ``set_epoch``, DDP sharding
    and ``drop_last``); with ``label_batch=True`` the data samples are a
    :class:`.samples.LabelBatch`. The fast train loop hands these to hooks that ask for them
    (``loop.device_loader(loader)``), such as Difficulty-Net's meta and accuracy loaders.
    """

    def __init__(self, loader: DataLoader, device, workers: int = 0,
                 label_batch: bool = False) -> None:
        self.loader = loader
        self.label_batch = bool(label_batch)
        self.dataset = loader.dataset
        self.batch_size = loader.batch_size
        self.sampler = loader.sampler
        self.batch_sampler = loader.batch_sampler
        self.device = torch.device(device)
        self.data = DeviceDataset(loader.dataset, self.device, loading_only=False,
                                  workers=workers)
        self._views = label_views(self.data.labels) if self.label_batch else None

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        batches, idx = batch_indices(self.batch_sampler, self.device)
        start = 0
        for b in batches:
            sel = idx[start:start + len(b)]
            start += len(b)
            views = None if self._views is None else list(map(self._views.__getitem__, b))
            yield dict(inputs=self.data.images.index_select(0, sel),
                       data_samples=batch_samples(self.data.labels[sel],
                                                  label_batch=self.label_batch, views=views))
