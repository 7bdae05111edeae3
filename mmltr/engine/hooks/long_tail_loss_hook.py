"""The hook that connects mmltr's stateful losses to MMEngine's training loop."""
import numpy as np
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop, IterBasedTrainLoop
from mmpretrain.registry import HOOKS

from mmltr.datasets.utils import build_dataset, get_class_counts
from mmltr.utils import unwrap_model


@HOOKS.register_module()
class LongTailLossHook(Hook):
    """Fill class counts into count-aware modules, check the setup, drive their per-epoch state.

    It visits every sub-module of the (unwrapped) model and, duck-typed:

    * ``before_run`` (every run): a head whose loss declares ``expects_cosine = True`` (DBM, LDAM)
      must declare ``outputs = 'cosine'`` (``CosineClsHead``), else a ``ValueError``.
    * ``before_run`` without training (``runner.test()``/``val()``, ``tools/test.py``): the
      val/test metrics get the counts of the config's training set, ``train_dataloader.dataset``
      (built, labels only), as they do in training, so a ``--cfg-options`` override of the
      training set's imbalance factor is evaluated with the counts it trained on. When there is
      no such config or it cannot be built (e.g. no training data on the test machine), the
      metrics keep the counts their own dataset carries, with a logged warning in the latter case.
    * ``before_run`` (training only, before weights are loaded or resumed):

      - checks that each head's ``num_classes`` is the training set's number of classes;
      - hands the training set's counts to the val/test metrics that take them
        (``set_train_class_counts``, ``ShotAccuracy``'s many/medium/few split), so the
        imbalance factor is set in one place (the training set); a val/test dataset carrying
        other counts gets a logged note;
      - a module whose ``needs_class_counts`` is true gets ``set_class_counts(counts)``, with
        ``counts`` taken from the training dataset's ``metainfo['class_counts']`` (or a bincount
        of its labels). Counts given explicitly in a loss config are left untouched;
      - refuses what would silently train a different method: an ``IterBasedTrainLoop`` with a
        module that keeps per-epoch state (``on_train_epoch_end``) or whose ``uses_epochs`` is
        true (a DRW switch), since MMEngine's iteration loop fires the epoch hooks only once;
        and a DDP wrapper with ``broadcast_buffers=True`` around a module that declares
        ``rank_local_buffers = True`` (GHM-CWAP's per-rank histograms would be overwritten by
        rank 0's at every forward).
    * ``before_train`` (after ``load_from``/resume): the counts of every count-aware module are
      put back to those chosen in ``before_run`` (the current training set's, or the config's),
      with a logged note when a loaded checkpoint held other counts.
    * ``before_train_epoch``: ``set_epoch(runner.epoch)`` (0-based; restored on resume, so a DRW
      switch at epoch 160 happens at the same place in a resumed run).
    * ``after_train_epoch``: ``on_train_epoch_end()`` (e.g. GHM-CWAP's region update; called on
      every rank, so modules may run collectives there).

    It is listed in ``configs/_base_/default_runtime.py``; configs inheriting it need nothing else.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self) -> None:
        self._counts = []  # (module, counts) fixed in before_run, re-applied in before_train

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
        modules = self._modules(runner)
        self._check_heads(modules)
        self._counts = []
        # Only when training: Runner.train() builds the train loop before before_run, while in
        # runner.test()/val() it stays a config dict (or None); the losses' counts then come from
        # the checkpoint, the metrics' from the configured training set.
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            counts = self._configured_train_counts(runner)
            if counts is not None:
                self._share_counts(runner, counts)
            return
        self._check_training_setup(runner, modules)
        counts: np.ndarray = get_class_counts(runner.train_dataloader.dataset)
        self._check_num_classes(modules, counts)
        self._share_counts(runner, counts)
        count_aware = [m for m in modules if callable(getattr(m, 'set_class_counts', None))]
        targets = [m for m in count_aware if getattr(m, 'needs_class_counts', False)]
        for module in targets:
            module.set_class_counts(counts.tolist())
        self._counts = [(m, m.class_counts.clone()) for m in count_aware
                        if not getattr(m, 'needs_class_counts', True)]
        if targets:
            runner.logger.info(f'LongTailLossHook: class counts ({len(counts)} classes, '
                               f'max {int(counts.max())}, min {int(counts.min())}) set on '
                               f'{", ".join(sorted({type(m).__name__ for m in targets}))}.')

    def before_train(self, runner) -> None:
        # load_from (fine-tuning) loads the checkpoint's counts over those set in before_run: the
        # margins, priors and weights must follow the current training set (as ShotAccuracy does).
        for module, counts in self._counts:
            loaded = module.class_counts
            if loaded.shape == counts.shape and bool((loaded.cpu() == counts.cpu()).all()):
                continue
            runner.logger.info(
                f'LongTailLossHook: the loaded checkpoint gave {type(module).__name__} the class '
                f'counts {[int(c) for c in loaded.tolist()]}; using the current ones '
                f'{[int(c) for c in counts.tolist()]} instead.')
            module.set_class_counts(counts)

    @staticmethod
    def _check_heads(modules) -> None:
        for head in modules:
            loss = getattr(head, 'loss_module', None)
            if not getattr(loss, 'expects_cosine', False):
                continue
            if getattr(head, 'outputs', 'logits') != 'cosine':
                raise ValueError(
                    f'{type(loss).__name__} expects raw cosines (it applies its own scale and '
                    f'margins), but {type(head).__name__} outputs logits: use '
                    "head=dict(type='CosineClsHead', ...) with this loss.")

    @staticmethod
    def _check_training_setup(runner, modules) -> None:
        if isinstance(runner._train_loop, IterBasedTrainLoop):
            epochal = sorted({
                type(m).__name__
                for m in modules if callable(getattr(m, 'on_train_epoch_end', None))
                or getattr(m, 'uses_epochs', False)
            })
            if epochal:
                raise ValueError(
                    f'{", ".join(epochal)} keep per-epoch state (region updates, a DRW switch '
                    'epoch), but IterBasedTrainLoop calls the epoch hooks only once per run, so '
                    "it would silently never update: use train_cfg=dict(by_epoch=True, "
                    'max_epochs=...) (EpochBasedTrainLoop).')
        if getattr(runner.model, 'broadcast_buffers', False):
            local = sorted({type(m).__name__ for m in modules
                            if getattr(m, 'rank_local_buffers', False)})
            if local:
                raise ValueError(
                    f'{", ".join(local)} keep per-rank statistics in buffers, which '
                    'broadcast_buffers=True overwrites with rank 0\'s at every forward: set '
                    "model_wrapper_cfg=dict(type='MMDistributedDataParallel', "
                    'broadcast_buffers=False) (the default).')

    @staticmethod
    def _check_num_classes(modules, counts: np.ndarray) -> None:
        for head in modules:
            num_classes = getattr(head, 'num_classes', None)
            if getattr(head, 'loss_module', None) is None or not isinstance(num_classes, int):
                continue
            if num_classes != len(counts):
                raise ValueError(
                    f'{type(head).__name__} has num_classes={num_classes} but the training '
                    f'dataset has {len(counts)} classes: set model.head.num_classes='
                    f'{len(counts)} (and data_preprocessor.num_classes).')

    @staticmethod
    def _configured_train_counts(runner):
        """The class counts of ``cfg.train_dataloader.dataset``, or None (with a warning when
        the config exists but the dataset cannot be built)."""
        loader = (getattr(runner, 'cfg', None) or {}).get('train_dataloader')
        dataset = loader.get('dataset') if isinstance(loader, dict) else None
        if dataset is None:
            return None
        try:
            return get_class_counts(build_dataset(dataset, 'LongTailLossHook', 'train dataset'))
        except Exception as err:  # e.g. the training images are not on the test machine
            runner.logger.warning(
                'LongTailLossHook: cannot build train_dataloader.dataset to read the training '
                f'class counts ({type(err).__name__}: {err}); the metrics use the counts their '
                'own dataset carries.')
            return None

    @staticmethod
    def _share_counts(runner, counts: np.ndarray) -> None:
        """Hand the training counts to the val/test metrics (``set_train_class_counts``)."""
        for name in ('val', 'test'):
            loop = getattr(runner, f'_{name}_loop', None)
            if loop is None or isinstance(loop, dict):
                continue  # not built (yet): the metrics get the counts from their dataset
            meta = getattr(loop.dataloader.dataset, 'metainfo', None) or {}
            own = meta.get('class_counts')
            if own is not None and len(own) != len(counts):
                raise ValueError(
                    f'The {name} dataset has {len(own)} classes but the training dataset has '
                    f'{len(counts)}: use the same dataset (classes) for training and {name}.')
            metrics = getattr(getattr(loop, 'evaluator', None), 'metrics', None) or []
            takers = [m for m in metrics if callable(getattr(m, 'set_train_class_counts', None))]
            for metric in takers:
                metric.set_train_class_counts(counts.tolist())
            if takers and own is not None and tuple(own) != tuple(counts.tolist()):
                runner.logger.info(
                    f'LongTailLossHook: the {name} dataset carries the training class counts '
                    f'{list(own)} (from its own imbalance_factor); '
                    f'{", ".join(sorted({type(m).__name__ for m in takers}))} uses the training '
                    f"set's {counts.tolist()} instead.")

    def before_train_epoch(self, runner) -> None:
        self._call_each(runner, 'set_epoch', runner.epoch)

    def after_train_epoch(self, runner) -> None:
        self._call_each(runner, 'on_train_epoch_end')
