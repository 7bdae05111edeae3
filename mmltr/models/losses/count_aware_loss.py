"""The base class of mmltr's losses that need the training images per class."""
from typing import Dict, Optional

import torch
import torch.nn as nn

from mmltr.utils import check_class_counts

from .utils import REDUCTIONS, CountsLike, check_reduction


class CountAwareLoss(nn.Module):
    """Base for losses that need the training images per class (and, for DRW, the epoch).

    * **Counts.** They live in the persistent buffer ``class_counts`` (float64, saved in
      checkpoints). When not given in the config they are filled before training by
      :class:`mmltr.engine.hooks.LongTailLossHook` from the training dataset's
      ``metainfo['class_counts']``; :meth:`set_class_counts` checks them against ``num_classes``
      and :meth:`get_class_counts` against the scores of each forward.
    * **Tables derived from the counts** (priors, margins, class weights; see
      :mod:`mmltr.models.losses.utils`): a subclass returns them by name from :meth:`_derive`,
      the one place they are computed. They are cached as non-persistent buffers of those names
      (they follow ``.to()``, are not saved), recomputed whenever the counts change: in
      :meth:`set_class_counts` and after a checkpoint's counts are loaded. ``_derive`` reads the
      hyper-parameters, so a subclass sets the counts given to its ``__init__`` last:
      ``if class_counts is not None: self.set_class_counts(class_counts)``.
    * **Epoch.** Losses with a schedule (DRW) read :attr:`epoch`, set by the same hook from the
      runner's epoch before each training epoch (resume-safe).

    Args:
        num_classes (int, optional): checked against the counts when given (``CosineClsHead``
            fills it from its own ``num_classes``).
        reduction (str): the default reduction of the loss, ``'none'``, ``'mean'`` or ``'sum'``
            (a forward's ``reduction_override`` wins).
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.reduction = check_reduction(reduction, type(self).__name__)
        self.loss_weight = float(loss_weight)
        self.register_buffer('class_counts', torch.zeros(0, dtype=torch.float64))
        self.epoch = 0

    # -- class counts -------------------------------------------------------------------------
    @property
    def needs_class_counts(self) -> bool:
        """True until the counts are known (from the config, the hook or a checkpoint)."""
        return self.class_counts.numel() == 0

    def set_class_counts(self, class_counts: CountsLike) -> None:
        """Check and store the training images per class, then derive the cached tables."""
        name = type(self).__name__
        counts = torch.as_tensor(
            check_class_counts(class_counts, f'{name}: class_counts'), dtype=torch.float64)
        if counts.numel() == 0:
            raise ValueError(f'{name}: class_counts is empty.')
        if self.num_classes is not None and counts.numel() != self.num_classes:
            raise ValueError(f'{name}: class_counts has {counts.numel()} entries but '
                             f'num_classes={self.num_classes}.')
        if (counts <= 0).all():
            raise ValueError(f'{name}: every class count is zero.')
        self.class_counts = counts.to(self.class_counts.device)
        self._cache_tables()

    def _derive(self) -> Dict[str, Optional[torch.Tensor]]:
        """The tables derived from ``class_counts``, by name (none here; None = not used)."""
        return {}

    def _cache_tables(self) -> None:
        for name, table in self._derive().items():
            self.register_buffer(name, table, persistent=False)

    def get_class_counts(self, cls_score: torch.Tensor) -> torch.Tensor:
        """The counts, after checking they are known and match the number of scores."""
        name = type(self).__name__
        if self.needs_class_counts:
            raise RuntimeError(
                f'{name} has no class_counts: pass class_counts=[...] in its config, or train '
                "with mmltr's LongTailLossHook (in configs/_base_/default_runtime.py) so they are "
                "filled from the training dataset's metainfo['class_counts'].")
        if self.class_counts.numel() != cls_score.size(-1):
            raise ValueError(
                f'{name}: class_counts has {self.class_counts.numel()} entries but the classifier '
                f'outputs {cls_score.size(-1)} scores (num_classes mismatch).')
        return self.class_counts

    def _table(self, name: str, cls_score: torch.Tensor) -> torch.Tensor:
        """The table ``name`` from :meth:`_derive` on ``cls_score``'s device, once
        :meth:`get_class_counts` has checked the counts against the scores."""
        self.get_class_counts(cls_score)
        return getattr(self, name).to(cls_score.device)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # Counts may be unknown when the module is built (filled later from the dataset): take
        # the checkpoint's counts instead of reporting a size mismatch, then re-derive the tables.
        loaded = state_dict.get(prefix + 'class_counts')
        has_counts = loaded is not None and loaded.numel() > 0
        if has_counts and self.needs_class_counts:
            self.class_counts = torch.zeros_like(loaded, device=self.class_counts.device)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        if has_counts:
            self._cache_tables()

    # -- reduction ----------------------------------------------------------------------------
    def _reduction(self, reduction_override: Optional[str]) -> str:
        """A forward's ``reduction_override`` when given, else the loss's ``reduction``."""
        if reduction_override not in (None, ) + REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: reduction_override must be None or one of '
                             f'{REDUCTIONS}, got {reduction_override!r}.')
        return reduction_override if reduction_override else self.reduction

    # -- schedule -----------------------------------------------------------------------------
    @property
    def uses_epochs(self) -> bool:
        """Whether the loss changes with the epoch given to :meth:`set_epoch` (a DRW switch).

        ``LongTailLossHook`` refuses loops that do not run epochs for such losses.
        """
        return False

    def set_epoch(self, epoch: int) -> None:
        """0-based index of the training epoch about to run (set by LongTailLossHook)."""
        self.epoch = int(epoch)
