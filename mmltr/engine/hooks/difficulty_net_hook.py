"""Wires Difficulty-Net's balanced meta set into training and refreshes the class accuracies."""
import copy
from typing import Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

# Sampler "epochs" of the meta loader: pass p of training epoch e uses e * _PASS_STRIDE + p, so a
# resumed run draws the same meta batches as an uninterrupted one.
_PASS_STRIDE = 100003


class InfiniteMetaLoader:
    """An endless iterator over a DataLoader; reshuffles (``sampler.set_epoch``) on every pass."""

    def __init__(self, loader) -> None:
        self.loader = loader
        self.epoch = 0
        self.passes = 0
        self._iter = None

    def reset(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.passes = 0
        self._iter = None

    def _start(self) -> None:
        sampler = getattr(self.loader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self.epoch * _PASS_STRIDE + self.passes)
        self._iter = iter(self.loader)

    def __iter__(self):
        return self

    def __next__(self):
        if self._iter is None:
            self._start()
        try:
            return next(self._iter)
        except StopIteration:
            self.passes += 1
            self._start()
            return next(self._iter)


@HOOKS.register_module()
class DifficultyNetHook(Hook):
    """Meta loader and per-class accuracy for :class:`DifficultyNetClassifier`.

    * ``before_train``: builds ``meta_dataloader`` with ``Runner.build_dataloader`` (the runner's
      seed; a ``DefaultSampler`` shards it across DDP ranks, every rank draws its own part of one
      common shuffle) and attaches an endless iterator to the model (``set_meta_loader``).
    * ``before_train_epoch``: restarts that iterator with a shuffle derived from the epoch (as the
      authors' code restarts it every epoch; resume-safe).
    * ``after_train_epoch`` (every ``interval`` epochs, and before ``CheckpointHook`` saves): the
      class-wise accuracy a on ``acc_dataloader`` — by default the meta set again, in order, no
      padding. Under DDP each rank evaluates a disjoint shard and correct/total counts are summed
      with ``all_reduce``, so all ranks hold the same a. a is the model's ``class_acc`` buffer:
      saved in checkpoints and restored on resume.

    Args:
        meta_dataloader (dict): dataloader config of the balanced meta set (test pipeline, e.g.
            batch 100, ``sampler=dict(type='DefaultSampler', shuffle=True)``).
        acc_dataloader (dict, optional): dataloader config for the accuracy vector. Defaults to
            the meta dataset with ``batch_size=acc_batch_size``, no shuffle and ``round_up=False``.
        acc_batch_size (int): batch size of the default accuracy loader. Defaults to 256.
        interval (int): recompute a every ``interval`` epochs. Defaults to 1.
    """

    priority = 'NORMAL'  # after_train_epoch runs before CheckpointHook (VERY_LOW) saves

    def __init__(self, meta_dataloader: dict, acc_dataloader: Optional[dict] = None,
                 acc_batch_size: int = 256, interval: int = 1) -> None:
        if not isinstance(meta_dataloader, dict) or 'dataset' not in meta_dataloader:
            raise ValueError('DifficultyNetHook needs meta_dataloader=dict(dataset=..., '
                             'sampler=..., batch_size=...).')
        self.meta_dataloader_cfg = copy.deepcopy(meta_dataloader)
        self.acc_dataloader_cfg = copy.deepcopy(acc_dataloader)
        self.acc_batch_size = int(acc_batch_size)
        self.interval = int(interval)
        self.meta_loader = None
        self.acc_loader = None

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'set_meta_loader'):
            raise TypeError(f'DifficultyNetHook needs a DifficultyNetClassifier, got '
                            f'{type(model).__name__}.')
        return model

    @staticmethod
    def _loader_on_device(runner, loader):
        """``loader``, or its device-resident version when the train loop offers one (the fast
        path's ``device_loader``: same sampler and batches, images decoded once on the device)."""
        loop = runner.train_loop
        return loop.device_loader(loader) if hasattr(loop, 'device_loader') else loader

    def before_train(self, runner) -> None:
        model = self._model(runner)
        cfg = copy.deepcopy(self.meta_dataloader_cfg)
        cfg.setdefault('sampler', dict(type='DefaultSampler', shuffle=True))
        self.meta_loader = self._loader_on_device(runner,
                                                  runner.build_dataloader(cfg, seed=runner.seed))
        meta_ds = self.meta_loader.dataset
        if self.acc_dataloader_cfg is None:
            acc_cfg = {k: v for k, v in self.meta_dataloader_cfg.items()
                       if k not in ('dataset', 'sampler', 'batch_size', 'drop_last')}
            acc_cfg.update(dataset=meta_ds, batch_size=self.acc_batch_size,
                           sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))
        else:
            acc_cfg = copy.deepcopy(self.acc_dataloader_cfg)
        self.acc_loader = self._loader_on_device(
            runner, runner.build_dataloader(acc_cfg, seed=runner.seed))
        self._iter = InfiniteMetaLoader(self.meta_loader)
        model.set_meta_loader(self._iter)
        runner.logger.info(
            f'DifficultyNetHook: meta set of {len(meta_ds)} images '
            f'(batch {self.meta_loader.batch_size} per rank), class accuracy on '
            f'{len(self.acc_loader.dataset)} images.')

    def before_train_epoch(self, runner) -> None:
        if self.meta_loader is not None:
            self._iter.reset(runner.epoch)

    def after_train_epoch(self, runner) -> None:
        if not self.every_n_epochs(runner, self.interval):
            return
        model = self._model(runner)
        acc = self.class_accuracy(model, self.acc_loader, model.num_classes)
        model.set_class_accuracy(acc)
        runner.logger.info(f'DifficultyNetHook: mean class accuracy on the meta set '
                           f'{float(acc.mean()):.4f} (min {float(acc.min()):.4f}, '
                           f'max {float(acc.max()):.4f}).')

    @staticmethod
    @torch.no_grad()
    def class_accuracy(model, loader, num_classes: int) -> torch.Tensor:
        """Per-class accuracy (C,) of ``model`` on ``loader``, summed over DDP ranks."""
        was_training = model.training
        model.eval()
        device = model.class_acc.device
        correct = torch.zeros(num_classes, dtype=torch.float64, device=device)
        total = torch.zeros(num_classes, dtype=torch.float64, device=device)
        try:
            for batch in loader:
                data = model.data_preprocessor(batch, False)
                pred = model.predict_labels(data['inputs'])
                label = torch.cat([ds.gt_label for ds in data['data_samples']]).to(device).long()
                total += torch.bincount(label, minlength=num_classes).double()
                correct += torch.bincount(label[pred == label], minlength=num_classes).double()
        finally:
            model.train(was_training)
        if get_world_size() > 1:
            all_reduce(correct)
            all_reduce(total)
        return (correct / total.clamp_min(1)).float()
