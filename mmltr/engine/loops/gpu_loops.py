"""The fast path for small-image datasets: device-resident data, batched augmentation.

``GPUEpochBasedTrainLoop``, ``GPUValLoop`` and ``GPUTestLoop`` replace MMEngine's loops for
datasets whose images all have the same small size (CIFAR-LT, Fashion-MNIST-LT). Add
``configs/_base_/fast_path.py`` to a config's ``_base_`` to use them; everything else in the config
(model, loss, schedule, hooks, evaluator, datasets) stays as it is.

**Train loop.** At the first epoch it decodes the training dataset **once** with the dataset's own
loading (``dataset[i]`` with the pipeline cut down to its loading transforms, e.g.
``LoadImageFromFile``; CIFAR/MNIST datasets hold arrays and need none) and keeps it on the model's
device as one ``uint8`` tensor plus a label tensor. Each epoch it

1. takes the epoch's batches from the config's own ``batch_sampler``/``sampler`` (so the sample
   order, DDP sharding, ``drop_last`` and re-sampling samplers such as ``ClassAwareSampler`` are
   exactly those of the standard loop, seeded by ``DistSamplerSeedHook`` as usual);
2. augments the whole epoch on the device in chunks (:mod:`mmltr.datasets.transforms.gpu_augment`:
   the CPU training pipeline translated op by op, per-sample randomness from a generator seeded by
   ``(runner.seed, epoch, rank)``, so a resumed run sees the same augmentations);
3. for every batch calls ``model.train_step(dict(inputs=..., data_samples=[DataSample...]),
   optim_wrapper)`` (MMPretrain's data format: any model works, including those with their own
   ``train_step`` such as ``DifficultyNetClassifier``), between the usual
   ``before_train_iter``/``after_train_iter`` hook calls; epoch hooks, validation and
   checkpoints work as in ``EpochBasedTrainLoop`` (which this loop subclasses).

**No per-iteration host synchronisation in the loop.** MMEngine's ``RuntimeInfoHook`` copies the
log variables to the host (``.item()``) after every iteration, which blocks the CPU until the GPU
has finished the step. This loop keeps the log variables as device tensors and copies them in one
transfer every ``sync_interval`` iterations (default: the ``LoggerHook`` interval) and at the end
of every epoch; it then writes each iteration's values into the message hub in order, so logged
(smoothed) losses are exactly those of the standard loop. Between flushes, ``RuntimeInfoHook``
gets ``outputs=None`` and the other hooks the device tensors. Synchronisations that remain would be
in the model/loss code itself (mmltr's losses avoid them: label-range checks run on CPU tensors
only, cosine-input checks on the first forward only) and in ``clip_grad`` (MMEngine logs the
gradient norm with ``float()``); ``tools/benchmark/train_speed.py --sync-debug`` lists them on a
GPU.

**Auxiliary loaders.** Before the first epoch, ``DataLoader`` objects that hooks built in
``before_train`` over a deterministic (test-pipeline) dataset, e.g. ``DifficultyNetHook``'s meta
and accuracy loaders, are replaced by :class:`DeviceDataLoader` (same sampler and batch order,
device-resident images).

**Eval loops** decode the val/test set once with the *complete* test pipeline (deterministic) and
keep it on the device. ``mode='auto'`` (default) uses a batched prediction path when the model
predicts with MMPretrain's stock ``ImageClassifier.predict``/``ClsHead.predict`` and a known
``_get_predictions`` (MMPretrain's softmax/argmax, mmltr's ``CosineClsHead``; also
``DifficultyNetClassifier``): a prediction then depends only on ``model(inputs, mode='tensor')``,
scores and labels are computed on the device, copied to the host once per evaluation and fed to
the metrics. Other models go through ``val_step``/``test_step`` (``mode='predict'``) as the standard
loops do.

Options (all off by default): ``autocast_dtype='bfloat16'`` runs ``train_step`` (or the eval
forward) under ``torch.autocast``; ``channels_last=True`` converts the model and the inputs to
channels-last. Their effect on accuracy has to be measured on the GPU before they become defaults.
"""
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import RuntimeInfoHook
from mmengine.logging import HistoryBuffer, print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, ValLoop, TestLoop
from mmengine.runner.loops import _parse_losses, _update_losses
from mmpretrain.registry import LOOPS
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

from mmltr.datasets.transforms.gpu_augment import (IGNORED_TRANSFORMS, LOADING_TRANSFORMS,
                                                  BatchPipeline, build_batch_pipeline)

__all__ = ['GPUEpochBasedTrainLoop', 'GPUValLoop', 'GPUTestLoop', 'DeviceDataset',
           'DeviceDataLoader', 'decode_dataset']


# ----------------------------------------------------------------------------------------------
# decoding a dataset once
# ----------------------------------------------------------------------------------------------
def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def _model_device(model) -> torch.device:
    for p in _unwrap(model).parameters():
        return p.device
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def find_pipelines(dataset) -> list:
    """The ``Compose`` pipelines of ``dataset`` and of the datasets it wraps (depth first)."""
    found, seen, stack = [], set(), [dataset]
    while stack:
        ds = stack.pop(0)
        if ds is None or id(ds) in seen:
            continue
        seen.add(id(ds))
        pipe = getattr(ds, 'pipeline', None)
        if pipe is not None and hasattr(pipe, 'transforms'):
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


def _default_workers() -> int:
    return max(1, min(8, (os.cpu_count() or 1)))


def _make_samples(labels: torch.Tensor,
                  indices: Optional[Sequence[int]] = None) -> List[DataSample]:
    """One ``DataSample`` per label, ``gt_label`` a 1-element view of ``labels`` (no copy)."""
    out = []
    for j in range(labels.size(0)):
        s = DataSample() if indices is None else DataSample(metainfo=dict(
            sample_idx=int(indices[j])))
        s.set_field(labels[j:j + 1], 'gt_label', dtype=torch.Tensor)
        out.append(s)
    return out


_DETERMINISTIC = ('ResizeEdge', 'Resize', 'CenterCrop')


def _deterministic_pipeline(dataset) -> bool:
    """True if every pipeline of ``dataset`` only loads, packs or resizes/crops (deterministic)."""
    ok = set(LOADING_TRANSFORMS) | set(IGNORED_TRANSFORMS) | set(_DETERMINISTIC)
    pipes = find_pipelines(dataset)
    return bool(pipes) and all(type(t).__name__ in ok for p in pipes for t in p.transforms)


class DeviceDataLoader:
    """A drop-in for a ``DataLoader`` over a deterministic (test-pipeline) dataset, on the device.

    The dataset is decoded once (complete pipeline); iterating yields
    ``dict(inputs=uint8 (B, C, H, W), data_samples=[DataSample(gt_label)...])`` batches in the
    order of the wrapped loader's ``batch_sampler`` (same shuffling, ``set_epoch``, DDP sharding
    and ``drop_last``). The fast train loop uses it for auxiliary loaders that hooks build, such as
    Difficulty-Net's meta and accuracy loaders.
    """

    def __init__(self, loader: DataLoader, device, workers: int = 0) -> None:
        self.loader = loader
        self.dataset = loader.dataset
        self.batch_size = loader.batch_size
        self.sampler = loader.sampler
        self.batch_sampler = loader.batch_sampler
        self.device = torch.device(device)
        self.data = DeviceDataset(loader.dataset, self.device, loading_only=False,
                                  workers=workers)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        batches = [list(map(int, b)) for b in self.batch_sampler]
        flat = torch.tensor([i for b in batches for i in b], dtype=torch.long)
        idx = flat.to(self.device, non_blocking=True)  # one copy per pass, no host sync
        start = 0
        for b in batches:
            sel = idx[start:start + len(b)]
            start += len(b)
            yield dict(inputs=self.data.images[sel],
                       data_samples=_make_samples(self.data.labels[sel]))


def _autocast(device: torch.device, dtype: Optional[str]):
    if not dtype:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=getattr(torch, dtype))


# ----------------------------------------------------------------------------------------------
# train loop
# ----------------------------------------------------------------------------------------------
@LOOPS.register_module()
class GPUEpochBasedTrainLoop(EpochBasedTrainLoop):
    """Epoch-based training on device-resident data with batched device augmentation.

    Args:
        runner, dataloader, max_epochs, val_begin, val_interval, dynamic_intervals: as
            :class:`mmengine.runner.EpochBasedTrainLoop`. The dataloader is built from the config
            as usual (its workers never start); its dataset, sampler and batch size are used.
        gpu_pipeline (str | list): ``'auto'`` (default) translates the dataset's own training
            pipeline (after its loading transforms, without ``PackInputs``); or a list of
            transform configs / objects (MMPretrain transform dicts such as
            ``dict(type='RandomCrop', crop_size=32, padding=4)``) run batched instead.
        aug_chunk_size (int): images augmented at once (memory bound of the augmentation).
            Default 16384.
        sync_interval (int, optional): iterations between copies of the log variables to the host.
            Default: the ``LoggerHook`` interval.
        autocast_dtype (str, optional): e.g. ``'bfloat16'``: run ``train_step`` under
            ``torch.autocast``. Default None (fp32).
        channels_last (bool): channels-last model and inputs. Default False.
        decode_workers (int, optional): threads decoding the images once. Default
            ``min(8, cpu_count)``.
        sample_idx (bool): put ``sample_idx`` in each ``DataSample``'s metainfo (as
            ``PackInputs`` does). Default False (saves per-iteration Python work).
        device_aux_loaders (bool): before the first epoch, replace the ``DataLoader`` objects that
            hooks hold (after ``before_train``), e.g. ``DifficultyNetHook``'s meta and accuracy
            loaders, by :class:`DeviceDataLoader` when their pipeline is deterministic (test
            pipeline). Default True.
        by_epoch (bool): accepted (must be True) so that a schedule's
            ``train_cfg=dict(by_epoch=True, ...)`` can simply get ``type`` added.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 gpu_pipeline: Union[str, Sequence] = 'auto',
                 aug_chunk_size: int = 16384,
                 sync_interval: Optional[int] = None,
                 autocast_dtype: Optional[str] = None,
                 channels_last: bool = False,
                 decode_workers: Optional[int] = None,
                 sample_idx: bool = False,
                 device_aux_loaders: bool = True,
                 by_epoch: bool = True) -> None:
        if not by_epoch:
            raise ValueError('GPUEpochBasedTrainLoop is epoch based (by_epoch=False given).')
        super().__init__(runner, dataloader, max_epochs, val_begin, val_interval,
                         dynamic_intervals)
        if autocast_dtype is not None and not isinstance(getattr(torch, autocast_dtype, None),
                                                         torch.dtype):
            raise ValueError(f'autocast_dtype must name a torch dtype, got {autocast_dtype!r}.')
        if int(aug_chunk_size) < 1:
            raise ValueError('aug_chunk_size must be >= 1.')
        self.gpu_pipeline_cfg = gpu_pipeline
        self.aug_chunk_size = int(aug_chunk_size)
        self.sync_interval = sync_interval
        self.autocast_dtype = autocast_dtype
        self.channels_last = bool(channels_last)
        self.decode_workers = _default_workers() if decode_workers is None else int(decode_workers)
        self.sample_idx = bool(sample_idx)
        self.device_aux_loaders = bool(device_aux_loaders)
        self._aux_done = False
        self.data: Optional[DeviceDataset] = None
        self.pipeline: Optional[BatchPipeline] = None
        self.device = _model_device(runner.model)
        self._pending: List[Dict[str, torch.Tensor]] = []
        self._epoch_inputs = None
        self._epoch_labels = None
        self._epoch_batches: List[List[int]] = []

    # -- set-up ---------------------------------------------------------------------------------
    def _resolve_sync_interval(self) -> int:
        if self.sync_interval is not None:
            return max(1, int(self.sync_interval))
        for hook in self.runner.hooks:
            if type(hook).__name__ == 'LoggerHook':
                return max(1, int(getattr(hook, 'interval', 50)))
        return 50

    def _build_pipeline(self) -> BatchPipeline:
        cfg = self.gpu_pipeline_cfg
        if isinstance(cfg, str):
            if cfg != 'auto':
                raise ValueError(f"gpu_pipeline must be 'auto' or a list, got {cfg!r}.")
            pipes = find_pipelines(self.dataloader.dataset)
            if not pipes:
                return BatchPipeline([])
            rest = split_loading(pipes[0].transforms)[1]
            for other in pipes[1:]:
                if repr(split_loading(other.transforms)[1]) != repr(rest):
                    print_log('fast path: the wrapped datasets have different training '
                              'pipelines; using the first one for all.', logger='current',
                              level=logging.WARNING)
                    break
            return build_batch_pipeline(rest)
        return build_batch_pipeline(list(cfg))

    def prepare(self) -> None:
        """Decode the training set onto the device and build the batched pipeline (once)."""
        if self.data is not None:
            return
        self.pipeline = self._build_pipeline()
        dataset = self.dataloader.dataset
        self.data = DeviceDataset(dataset, self.device, loading_only=True,
                                  workers=self.decode_workers)
        self._sync_interval = self._resolve_sync_interval()
        if self.channels_last:
            _unwrap(self.runner.model).to(memory_format=torch.channels_last)
        d = self.data
        print_log(f'fast path: {d.num_samples} training images {tuple(d.images.shape[1:])} '
                  f'decoded once onto {self.device} ({d.nbytes / 2**20:.1f} MiB); batched '
                  f'augmentation {self.pipeline}; log sync every {self._sync_interval} iters'
                  + (f'; autocast {self.autocast_dtype}' if self.autocast_dtype else '')
                  + ('; channels_last' if self.channels_last else ''), logger='current')

    def run(self) -> torch.nn.Module:
        self.prepare()
        return super().run()

    # -- one epoch ------------------------------------------------------------------------------
    def _generator(self) -> torch.Generator:
        rank, _ = get_dist_info()
        seed = int(self.runner.seed if self.runner.seed is not None else 0)
        g = torch.Generator(device=self.device)
        g.manual_seed(((seed * 1000003 + self._epoch) * 1009 + rank) % (2**63 - 1))
        return g

    def _prepare_epoch(self) -> None:
        batches = [list(map(int, b)) for b in self.dataloader.batch_sampler]
        flat = [i for b in batches for i in b]
        self._epoch_batches = batches
        idx = torch.tensor(flat, dtype=torch.long).to(self.device, non_blocking=True)
        g = self._generator()
        out = None
        for start in range(0, idx.numel(), self.aug_chunk_size):
            sel = idx[start:start + self.aug_chunk_size]
            aug = self.pipeline(self.data.images[sel], g)
            if out is None:
                out = torch.empty((idx.numel(), ) + tuple(aug.shape[1:]), dtype=torch.uint8,
                                  device=self.device)
            # values are integers 0-255 already; the round guards float noise
            out[start:start + sel.numel()] = aug.round_().clamp_(0, 255).to(torch.uint8)
        self._epoch_inputs = out
        self._epoch_labels = self.data.labels[idx]

    def _batch(self, idx: int, start: int, end: int) -> dict:
        inputs = self._epoch_inputs[start:end]
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        indices = self._epoch_batches[idx] if self.sample_idx else None
        return dict(inputs=inputs, data_samples=_make_samples(self._epoch_labels[start:end],
                                                              indices))

    def _swap_aux_loaders(self) -> None:
        """Hooks' deterministic DataLoaders -> :class:`DeviceDataLoader` (also where wrapped)."""
        self._aux_done = True
        if not self.device_aux_loaders:
            return
        swapped = {}
        for hook in self.runner.hooks:
            for name, value in list(vars(hook).items()):
                if not isinstance(value, DataLoader) or value is self.dataloader:
                    continue
                if id(value) not in swapped:
                    if not _deterministic_pipeline(value.dataset):
                        continue
                    try:
                        swapped[id(value)] = DeviceDataLoader(value, self.device,
                                                              self.decode_workers)
                    except (ValueError, KeyError) as e:
                        print_log(f'fast path: {type(hook).__name__}.{name} stays a CPU loader '
                                  f'({e}).', logger='current', level=logging.WARNING)
                        continue
                setattr(hook, name, swapped[id(value)])
                print_log(f'fast path: {type(hook).__name__}.{name} ({len(value.dataset)} '
                          f'images) now iterates device-resident data.', logger='current')
            # iterators built on those loaders (e.g. an endless meta-batch iterator)
            for value in list(vars(hook).values()):
                inner = getattr(value, 'loader', None)
                if isinstance(inner, DataLoader) and id(inner) in swapped:
                    value.loader = swapped[id(inner)]
                    if hasattr(value, 'reset'):
                        value.reset(self._epoch)

    def run_epoch(self) -> None:
        if not self._aux_done:
            self._swap_aux_loaders()
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        self._prepare_epoch()
        start = 0
        self._num_batches = len(self._epoch_batches)
        for idx, b in enumerate(self._epoch_batches):
            end = start + len(b)
            self.run_iter(idx, self._batch(idx, start, end))
            start = end
        self._epoch_inputs = self._epoch_labels = None
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    # -- one iteration --------------------------------------------------------------------------
    def run_iter(self, idx, data_batch) -> None:
        self.runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        with _autocast(self.device, self.autocast_dtype):
            outputs = self.runner.model.train_step(data_batch,
                                                   optim_wrapper=self.runner.optim_wrapper)
        outputs = {k: (v.detach() if isinstance(v, torch.Tensor) else v)
                   for k, v in (outputs or {}).items()}
        self._pending.append(outputs)
        flush = ((idx + 1) % self._sync_interval == 0 or idx + 1 == self._num_batches
                 or self._iter + 1 >= self._max_iters)
        if flush:
            outputs = self._flush()
        self._after_train_iter(idx, data_batch, outputs, flush)
        self._iter += 1

    def _flush(self) -> dict:
        """Copy all pending log variables to the host at once; push all but the last."""
        pending, self._pending = self._pending, []
        tensors = [v for out in pending for v in out.values() if isinstance(v, torch.Tensor)]
        values = iter([])
        if tensors:
            by_dev = torch.stack([t.reshape(-1)[0].float().to(tensors[0].device)
                                  for t in tensors]).cpu().tolist()
            values = iter(by_dev)
        converted = []
        for out in pending:
            converted.append({k: (next(values) if isinstance(v, torch.Tensor) else v)
                              for k, v in out.items()})
        hub = self.runner.message_hub
        for out in converted[:-1]:
            for k, v in out.items():
                hub.update_scalar(f'train/{k}', v)
        return converted[-1]

    def _after_train_iter(self, idx, data_batch, outputs, flush: bool) -> None:
        for hook in self.runner._hooks:
            out = outputs
            if not flush and isinstance(hook, RuntimeInfoHook):
                out = None  # the values reach the message hub at the next flush
            hook.after_train_iter(self.runner, batch_idx=idx, data_batch=data_batch, outputs=out)


# ----------------------------------------------------------------------------------------------
# eval loops
# ----------------------------------------------------------------------------------------------
def _softmax_argmax(head, cls_score):
    """MMPretrain ``ClsHead._get_predictions``: softmax scores, argmax label."""
    scores = torch.softmax(cls_score.float(), dim=1)
    return scores, scores.argmax(dim=1)


def _cosine_predictions(head, cls_score):
    """mmltr ``CosineClsHead._get_predictions``: label = argmax cos, score = softmax(s * cos)."""
    cos = cls_score.float()
    return torch.softmax(head.scale * cos, dim=1), cos.argmax(dim=1)


def _batched_predictor(model):
    """A batched equivalent of ``model.predict`` or None.

    Returns ``fn(head, cls_score) -> (scores, labels)`` when ``model`` predicts with MMPretrain's
    stock ``ImageClassifier``/``ClsHead.predict`` and a known ``_get_predictions``, i.e. when a
    prediction only depends on ``model(inputs, mode='tensor')`` (the head's output). Otherwise
    None (the loop then calls ``val_step``/``test_step``).
    """
    try:
        from mmpretrain.models.classifiers import ImageClassifier
        from mmpretrain.models.heads import ClsHead
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(model, ImageClassifier):
        return None
    cls = type(model)
    for name in ('forward', 'extract_feat', 'test_step', 'val_step'):
        if getattr(cls, name) is not getattr(ImageClassifier, name):
            return None
    stock_predict = {ImageClassifier.predict}
    try:  # same as ImageClassifier.predict, with DDP-wrapped children unwrapped
        from mmltr.models.classifiers import DifficultyNetClassifier
        stock_predict.add(DifficultyNetClassifier.predict)
    except ImportError:  # pragma: no cover
        pass
    if cls.predict not in stock_predict:
        return None
    head = _unwrap(getattr(model, 'head', None)) if getattr(model, 'head', None) is not None \
        else None
    if head is None or not isinstance(head, ClsHead) or type(head).predict is not ClsHead.predict:
        return None
    known = {ClsHead._get_predictions: _softmax_argmax}
    try:
        from mmltr.models.heads import CosineClsHead
        known[CosineClsHead._get_predictions] = _cosine_predictions
    except ImportError:  # pragma: no cover
        pass
    return known.get(type(head)._get_predictions)


class _GPUEvalMixin:
    """Shared by :class:`GPUValLoop` and :class:`GPUTestLoop` (put it before the mmengine loop)."""

    stage = 'val'

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False, mode: str = 'auto',
                 batch_size: Optional[int] = None, autocast_dtype: Optional[str] = None,
                 channels_last: bool = False, decode_workers: Optional[int] = None) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        if mode not in ('auto', 'logits', 'predict'):
            raise ValueError(f"mode must be 'auto', 'logits' or 'predict', got {mode!r}.")
        self.mode = mode
        self.batch_size = batch_size
        self.autocast_dtype = autocast_dtype or ('float16' if fp16 else None)
        self.channels_last = bool(channels_last)
        self.decode_workers = _default_workers() if decode_workers is None else int(decode_workers)
        self.data: Optional[DeviceDataset] = None

    def run(self) -> dict:
        self.prepare()
        return self._run_fast()

    def prepare(self) -> None:
        if self.data is not None:
            return
        self.device = _model_device(self.runner.model)
        self.data = DeviceDataset(self.dataloader.dataset, self.device, loading_only=False,
                                  workers=self.decode_workers)
        rank, world = get_dist_info()
        n = self.data.num_samples
        total = int(math.ceil(n / world)) * world  # DefaultSampler(round_up=True)
        order = torch.arange(total) % n
        self._indices = order[rank:total:world].to(self.device)
        bs = self.batch_size or getattr(self.dataloader, 'batch_size', None) or 256
        self._bs = int(bs)
        print_log(f'fast path: {n} {self.stage} images {tuple(self.data.images.shape[1:])} '
                  f'decoded once onto {self.device} ({self.data.nbytes / 2**20:.1f} MiB); batch '
                  f'{self._bs}, mode {self._resolved_mode()}', logger='current')

    def _resolved_mode(self) -> str:
        if self.mode != 'auto':
            return self.mode
        return 'logits' if _batched_predictor(_unwrap(self.runner.model)) else 'predict'

    def _metric_samples(self, metric, preds, gts, scores) -> list:
        from mmltr.evaluation.metrics.shot_accuracy import ShotAccuracy
        n = preds.size(0)
        if isinstance(metric, ShotAccuracy):
            # ints for the labels (cheap); the score rows only serve its num-classes check
            p, g = preds.tolist(), gts.tolist()
            return [dict(pred_label=p[i], gt_label=g[i], pred_score=scores[i]) for i in range(n)]
        return [dict(pred_score=scores[i], pred_label=preds[i:i + 1], gt_label=gts[i:i + 1],
                     num_classes=scores.size(1)) for i in range(n)]

    def _run_fast(self) -> dict:
        stage = self.stage
        runner = self.runner
        runner.call_hook(f'before_{stage}')
        runner.call_hook(f'before_{stage}_epoch')
        runner.model.eval()
        mode = self._resolved_mode()
        losses: Dict[str, HistoryBuffer] = {}
        model = _unwrap(runner.model)
        predictor = _batched_predictor(model) or _softmax_argmax  # 'logits' forced: stock rule
        idx_all = self._indices
        preds, scores, gts = [], [], []
        step = getattr(runner.model, f'{stage}_step')
        for b, start in enumerate(range(0, idx_all.numel(), self._bs)):
            sel = idx_all[start:start + self._bs]
            inputs = self.data.images[sel]
            if self.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            labels = self.data.labels[sel]
            if mode == 'predict':
                data_batch = dict(inputs=inputs, data_samples=_make_samples(labels))
            else:
                data_batch = dict(inputs=inputs, data_samples=None)
            runner.call_hook(f'before_{stage}_iter', batch_idx=b, data_batch=data_batch)
            with torch.no_grad(), _autocast(self.device, self.autocast_dtype):
                if mode == 'predict':
                    outputs = step(data_batch)
                    outputs, losses = _update_losses(outputs, losses)
                    self.evaluator.process(data_samples=outputs, data_batch=data_batch)
                else:
                    data = model.data_preprocessor(dict(inputs=inputs, data_samples=None), False)
                    score, pred = predictor(_unwrap(model.head),
                                            model(data['inputs'], mode='tensor'))
                    preds.append(pred)
                    scores.append(score)
                    gts.append(labels)
                    outputs = None
            runner.call_hook(f'after_{stage}_iter', batch_idx=b, data_batch=data_batch,
                             outputs=outputs)
        if mode != 'predict':
            p = torch.cat(preds).cpu()
            s = torch.cat(scores).cpu()
            g = torch.cat(gts).cpu()
            for metric in self.evaluator.metrics:
                metric.process(None, self._metric_samples(metric, p, g, s))
        metrics = self.evaluator.evaluate(self.data.num_samples)
        if losses:
            metrics.update(_parse_losses(losses, stage))
        runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
        runner.call_hook(f'after_{stage}')
        return metrics


@LOOPS.register_module()
class GPUValLoop(_GPUEvalMixin, ValLoop):
    """Validation on device-resident data (see the module docstring).

    Args:
        runner, dataloader, evaluator, fp16: as :class:`mmengine.runner.ValLoop`.
        mode (str): ``'auto'`` (default), ``'logits'`` (batched argmax of
            ``model(x, mode='tensor')``) or ``'predict'`` (``model.val_step``).
        batch_size (int, optional): evaluation batch size; default the dataloader's.
        autocast_dtype (str, optional): autocast dtype for the forward (``fp16=True`` means
            ``'float16'``). Default None.
        channels_last (bool): channels-last inputs. Default False.
        decode_workers (int, optional): threads decoding the images once.
    """

    stage = 'val'


@LOOPS.register_module()
class GPUTestLoop(_GPUEvalMixin, TestLoop):
    """Test on device-resident data; same arguments as :class:`GPUValLoop`."""

    stage = 'test'
