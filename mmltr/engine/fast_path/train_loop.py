"""``GPUEpochBasedTrainLoop``: epoch-based training on device-resident data.

At the first epoch the loop decodes the training dataset **once** with the dataset's own loading
(:mod:`.data`) and keeps it on the model's device. Each epoch it

1. takes the epoch's batches from the config's own ``batch_sampler``/``sampler`` (so the sample
   order, DDP sharding, ``drop_last`` and re-sampling samplers such as ``ClassAwareSampler`` are
   exactly those of the standard loop, seeded by ``DistSamplerSeedHook`` as usual);
2. augments the whole epoch on the device in chunks (:mod:`.pipeline`: the CPU training pipeline
   translated op by op, per-sample randomness from a generator seeded by
   ``(runner.seed, epoch, rank)``, so a resumed run sees the same augmentations);
3. for every batch calls ``model.train_step(dict(inputs=..., data_samples=...),
   optim_wrapper)`` (MMPretrain's data format: any model works, including those with their own
   ``train_step`` such as ``DifficultyNetClassifier``; ``inputs`` is a uint8 ``(B, C, H, W)``
   tensor, or for a pipeline ending in ``MultiView`` the list of its ``V`` views' tensors in
   ``num_views`` order, as MMPretrain's ``default_collate`` stacks them), between the usual
   ``before_train_iter``/``after_train_iter`` hook calls; epoch hooks, validation and
   checkpoints work as in ``EpochBasedTrainLoop`` (which this loop subclasses).

**Data samples without per-sample objects.** ``data_samples`` is a :class:`.samples.LabelBatch`:
the batch's labels as one tensor, read as a sequence of samples with ``gt_label`` (and
``sample_idx`` with ``sample_idx=True``), the same labels a list of ``DataSample`` gives
MMPretrain's heads and mmltr's classifiers, without one Python object per image and the data
preprocessor's per-sample label round trip in every iteration. A model whose data preprocessor
makes soft labels (Mixup/CutMix ``batch_augments``, ``to_onehot``) or is not MMPretrain's
``ClsDataPreprocessor`` gets a list of ``DataSample`` instead (:func:`.samples.keeps_hard_labels`),
as it does with ``label_batch=False``.

**No per-iteration host synchronisation in the loop.** MMEngine's ``RuntimeInfoHook`` copies the
log variables to the host (``.item()``) after every iteration, which blocks the CPU until the GPU
has finished the step. This loop keeps the log variables as device tensors
(:class:`DeferredLogVars`) and copies them in one transfer every ``sync_interval`` iterations
(default: the ``LoggerHook`` interval) and at the end of every epoch; it then writes each
iteration's values into the message hub in order, so logged (smoothed) losses are exactly those of
the standard loop. Between flushes, ``RuntimeInfoHook`` gets ``outputs=None`` and the other hooks
the device tensors. Synchronisations that remain would be in the model/loss code itself (mmltr's
losses avoid them: label-range checks run on CPU tensors only, cosine-input checks on the first
forward only) and in ``clip_grad`` (MMEngine logs the gradient norm with ``float()``);
``tools/benchmark/train_speed.py --sync-debug`` lists them on a GPU.

**Auxiliary loaders.** A hook that iterates its own ``DataLoader`` over a deterministic
(test-pipeline) dataset, e.g. ``DifficultyNetHook``'s meta and accuracy loaders, may ask the loop
for a device-resident version: ``loop.device_loader(loader)`` (:class:`.data.DeviceDataLoader`,
same sampler and batch order).
"""
import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import LoggerHook, RuntimeInfoHook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import LOOPS
from torch.utils.data import DataLoader

from mmltr.utils import unwrap_model

from .data import (
    DeviceDataLoader,
    DeviceDataset,
    batch_indices,
    find_pipelines,
    is_deterministic,
    split_loading,
)
from .pipeline import BatchPipeline, build_batch_pipeline
from .samples import batch_samples, keeps_hard_labels, label_views
from .utils import autocast, default_workers, model_device

__all__ = ['DeferredLogVars', 'GPUEpochBasedTrainLoop']


class DeferredLogVars:
    """Log variables of ``train_step`` kept on the device, copied to the host all at once.

    :meth:`append` keeps one iteration's variables (detached tensors); :meth:`flush` copies all
    pending tensors to the host in one transfer, writes every iteration but the last into the
    message hub in order, and returns the last one with host values (for ``RuntimeInfoHook``).
    Like the message hub, it accepts one value per variable only: a tensor with more than one
    element is an error.
    """

    def __init__(self) -> None:
        self._pending: List[dict] = []

    def __len__(self) -> int:
        return len(self._pending)

    def append(self, outputs: Optional[dict]) -> dict:
        """Keep ``outputs`` (tensors detached) until the next flush; returns the kept dict."""
        kept = {}
        for key, value in (outputs or {}).items():
            if isinstance(value, torch.Tensor):
                if value.numel() != 1:
                    raise ValueError(
                        f'fast path: train_step returned the log variable {key!r} with shape '
                        f'{tuple(value.shape)}; log variables must be scalars (one value per '
                        'iteration, as the message hub stores them). Reduce it in the model '
                        '(e.g. .mean()) or log its elements under separate keys.')
                value = value.detach()
            kept[key] = value
        self._pending.append(kept)
        return kept

    def flush(self, message_hub) -> dict:
        pending, self._pending = self._pending, []
        tensors = [v for out in pending for v in out.values() if isinstance(v, torch.Tensor)]
        values = iter([])
        if tensors:
            device = tensors[0].device
            values = iter(
                torch.stack([t.reshape(()).float().to(device) for t in tensors]).cpu().tolist())
        converted = [{k: (next(values) if isinstance(v, torch.Tensor) else v)
                      for k, v in out.items()} for out in pending]
        for out in converted[:-1]:
            for k, v in out.items():
                message_hub.update_scalar(f'train/{k}', v)
        return converted[-1]


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
        sample_idx (bool): put ``sample_idx`` in each data sample's metainfo (as
            ``PackInputs`` does). Default False (saves per-iteration Python work).
        label_batch (bool): hand the model (and hooks' device loaders) each batch's labels as a
            :class:`.samples.LabelBatch` when its data preprocessor keeps hard labels; False: a
            list of ``DataSample`` always. Default True.
        device_aux_loaders (bool): whether :meth:`device_loader` hands hooks device-resident
            loaders. Default True.
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
                 label_batch: bool = True,
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
        self.decode_workers = default_workers() if decode_workers is None else int(decode_workers)
        self.sample_idx = bool(sample_idx)
        # whether batches carry a LabelBatch (resolved once: the model's preprocessor is fixed)
        self.label_batch = bool(label_batch) and keeps_hard_labels(
            getattr(unwrap_model(runner.model), 'data_preprocessor', None))
        self.device_aux_loaders = bool(device_aux_loaders)
        self.data: Optional[DeviceDataset] = None
        self.pipeline: Optional[BatchPipeline] = None
        self.device = model_device(runner.model)
        self._log_vars = DeferredLogVars()
        self._epoch_inputs = None
        self._epoch_labels = None
        self._epoch_batches: List[List[int]] = []
        self._label_views = None
        self._before_iter_hooks: list = []
        self._after_iter_hooks: list = []

    # -- set-up ---------------------------------------------------------------------------------
    def _resolve_sync_interval(self) -> int:
        if self.sync_interval is not None:
            return max(1, int(self.sync_interval))
        for hook in self.runner.hooks:
            if isinstance(hook, LoggerHook):
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
        if self.label_batch:  # every image's gt_label, made once
            self._label_views = label_views(self.data.labels)
        if self.channels_last:
            unwrap_model(self.runner.model).to(memory_format=torch.channels_last)
        d = self.data
        print_log(f'fast path: {d.num_samples} training images {tuple(d.images.shape[1:])} '
                  f'decoded once onto {self.device} ({d.nbytes / 2**20:.1f} MiB); batched '
                  f'augmentation {self.pipeline}; log sync every {self._sync_interval} iters; '
                  f'data samples as {"LabelBatch" if self.label_batch else "DataSample lists"}'
                  + (f'; autocast {self.autocast_dtype}' if self.autocast_dtype else '')
                  + ('; channels_last' if self.channels_last else ''), logger='current')

    def run(self) -> torch.nn.Module:
        self.prepare()
        return super().run()

    def device_loader(self, loader):
        """``loader`` over device-resident data, for hooks that iterate their own loaders.

        Returns a :class:`.data.DeviceDataLoader` (same sampler, same batches; the dataset
        decoded once onto the model's device) when ``loader`` is a ``DataLoader`` whose dataset has
        a deterministic (test) pipeline; otherwise, or with ``device_aux_loaders=False``,
        ``loader`` itself.
        """
        if (not self.device_aux_loaders or not isinstance(loader, DataLoader)
                or loader is self.dataloader):
            return loader
        dataset = loader.dataset
        if not is_deterministic(dataset):
            print_log(f'fast path: a loader over {len(dataset)} images with a random pipeline '
                      'stays a CPU loader.', logger='current')
            return loader
        try:
            device_loader = DeviceDataLoader(loader, self.device, self.decode_workers,
                                             label_batch=self.label_batch)
        except (ValueError, KeyError) as e:
            print_log(f'fast path: a loader over {len(dataset)} images stays a CPU loader ({e}).',
                      logger='current', level=logging.WARNING)
            return loader
        print_log(f'fast path: a loader over {len(dataset)} images now iterates device-resident '
                  'data.', logger='current')
        return device_loader

    # -- one epoch ------------------------------------------------------------------------------
    def _generator(self) -> torch.Generator:
        rank, _ = get_dist_info()
        seed = int(self.runner.seed if self.runner.seed is not None else 0)
        g = torch.Generator(device=self.device)
        g.manual_seed(((seed * 1000003 + self._epoch) * 1009 + rank) % (2**63 - 1))
        return g

    def _prepare_epoch(self) -> None:
        self._epoch_batches, idx = batch_indices(self.dataloader.batch_sampler, self.device)
        self._epoch_labels = self.data.labels[idx]
        images = self.data.images
        if not len(self.pipeline):  # nothing to augment: the uint8 images as they are
            self._epoch_inputs = images.index_select(0, idx)
            return
        g = self._generator()
        multi_view = self.pipeline.num_views is not None
        out = None
        for start in range(0, idx.numel(), self.aug_chunk_size):
            sel = idx[start:start + self.aug_chunk_size]
            aug = self.pipeline(images.index_select(0, sel), g)
            views = aug if multi_view else [aug]
            if out is None:
                out = [
                    torch.empty((idx.numel(), ) + tuple(v.shape[1:]), dtype=torch.uint8,
                                device=self.device) for v in views
                ]
            for o, v in zip(out, views):
                # values are integers 0-255 already; the round guards float noise
                o[start:start + sel.numel()] = v.round_().clamp_(0, 255).to(torch.uint8)
        # one uint8 tensor, or a list of them (one per view) for a MultiView pipeline
        self._epoch_inputs = out if multi_view else out[0]

    def _inputs(self, start: int, end: int):
        """The batch's images: ``(B, C, H, W)`` uint8, or the list of the views' batches."""

        def cut(v):
            v = v[start:end]
            return v.contiguous(memory_format=torch.channels_last) if self.channels_last else v

        if isinstance(self._epoch_inputs, list):
            return [cut(v) for v in self._epoch_inputs]
        return cut(self._epoch_inputs)

    def _batch(self, idx: int, start: int, end: int) -> dict:
        inputs = self._inputs(start, end)
        batch = self._epoch_batches[idx]
        views = (None if self._label_views is None else list(
            map(self._label_views.__getitem__, batch)))
        return dict(inputs=inputs, data_samples=batch_samples(
            self._epoch_labels[start:end], batch if self.sample_idx else None, self.label_batch,
            views))

    def run_epoch(self) -> None:
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        self._prepare_epoch()
        start = 0
        self._num_batches = len(self._epoch_batches)
        self._before_iter_hooks, self._after_iter_hooks = self._iter_hooks()
        for idx, b in enumerate(self._epoch_batches):
            end = start + len(b)
            self.run_iter(idx, self._batch(idx, start, end))
            start = end
        self._epoch_inputs = self._epoch_labels = None
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    # -- one iteration --------------------------------------------------------------------------
    def _iter_hooks(self) -> Tuple[list, list]:
        """The hooks that act before and after a training iteration, in the runner's order:
        those whose ``get_triggered_stages()`` name the stage, or with the method set on the hook
        object itself. The others' methods do nothing, and calling them costs Python time in
        every iteration."""
        before, after = [], []
        for hook in self.runner.hooks:
            acts = set(hook.get_triggered_stages()).union(getattr(hook, '__dict__', ()))
            if 'before_train_iter' in acts:
                before.append(hook)
            if 'after_train_iter' in acts:
                after.append(hook)
        return before, after

    def run_iter(self, idx, data_batch) -> None:
        runner = self.runner
        for hook in self._before_iter_hooks:
            hook.before_train_iter(runner, batch_idx=idx, data_batch=data_batch)
        with autocast(self.device, self.autocast_dtype):
            outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        outputs = self._log_vars.append(outputs)
        flush = ((idx + 1) % self._sync_interval == 0 or idx + 1 == self._num_batches
                 or self._iter + 1 >= self._max_iters)
        if flush:
            outputs = self._log_vars.flush(runner.message_hub)
        for hook in self._after_iter_hooks:
            # between flushes RuntimeInfoHook gets nothing: the values reach the message hub at
            # the next flush, in order
            out = None if not flush and isinstance(hook, RuntimeInfoHook) else outputs
            hook.after_train_iter(runner, batch_idx=idx, data_batch=data_batch, outputs=out)
        self._iter += 1
