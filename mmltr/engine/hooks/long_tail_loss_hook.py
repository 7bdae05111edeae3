"""The hook that connects mmltr's stateful losses to MMEngine's training loop."""
import numpy as np
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmpretrain.registry import HOOKS

from mmltr.datasets.utils import get_class_counts
from mmltr.utils import unwrap_model


@HOOKS.register_module()
class LongTailLossHook(Hook):
    """Fill class counts into count-aware modules and drive their per-epoch state.

    It visits every sub-module of the (unwrapped) model and, duck-typed:

    * ``before_run`` (training only, before weights are loaded or resumed): checks that the
      val/test datasets' ``metainfo['class_counts']`` (used by ``ShotAccuracy`` for the
      many/medium/few split) equal the training set's counts — e.g. an imbalance factor changed on
      the training split only raises a clear error instead of silently mis-grouping classes. A
      module whose ``needs_class_counts`` is true gets ``set_class_counts(counts)``, with
      ``counts`` taken from the training dataset's ``metainfo['class_counts']`` (or a bincount of
      its labels). Counts given explicitly in a loss config are left untouched.
    * ``before_train_epoch``: ``set_epoch(runner.epoch)`` (0-based; restored on resume, so a DRW
      switch at epoch 160 happens at the same place in a resumed run).
    * ``after_train_epoch``: ``on_train_epoch_end()`` (e.g. GHM-CWAP's region update; called on
      every rank, so modules may run collectives there).

    It is listed in ``configs/_base_/default_runtime.py``; configs inheriting it need nothing else.
    """

    priority = 'ABOVE_NORMAL'

    @staticmethod
    def _modules(runner):
        return list(unwrap_model(runner.model).modules())

    def _call_each(self, runner, method: str, *args) -> None:
        """``module.<method>(*args)`` for every sub-module that has such a method."""
        for module in self._modules(runner):
            fn = getattr(module, method, None)
            if callable(fn):
                fn(*args)

    def before_run(self, runner) -> None:
        # Only when training: Runner.train() builds the train loop before before_run, while in
        # runner.test()/val() it stays a config dict (or None); counts then come from the
        # checkpoint.
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return
        counts: np.ndarray = get_class_counts(runner.train_dataloader.dataset)
        self._check_eval_counts(runner, counts)
        targets = [m for m in self._modules(runner) if getattr(m, 'needs_class_counts', False)]
        if not targets:
            return
        for module in targets:
            module.set_class_counts(counts.tolist())
        runner.logger.info(f'LongTailLossHook: class counts ({len(counts)} classes, '
                           f'max {int(counts.max())}, min {int(counts.min())}) set on '
                           f'{", ".join(sorted({type(m).__name__ for m in targets}))}.')

    @staticmethod
    def _check_eval_counts(runner, counts: np.ndarray) -> None:
        for name in ('val', 'test'):
            loop = getattr(runner, f'_{name}_loop', None)
            if loop is None or isinstance(loop, dict):
                continue  # not built (yet): nothing to compare
            meta = getattr(loop.dataloader.dataset, 'metainfo', None) or {}
            if meta.get('class_counts') is None:
                continue
            other = np.asarray(meta['class_counts'], dtype=np.int64)
            if other.shape != counts.shape or (other != counts).any():
                raise ValueError(
                    f'The {name} dataset carries training class counts {other.tolist()} but the '
                    f'training dataset has {counts.tolist()}: set the same imbalance factor '
                    f'(imbalance_factor, imb_type, seed) on the train, val and test datasets.')

    def before_train_epoch(self, runner) -> None:
        self._call_each(runner, 'set_epoch', runner.epoch)

    def after_train_epoch(self, runner) -> None:
        self._call_each(runner, 'on_train_epoch_end')
