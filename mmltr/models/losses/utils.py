"""Shared pieces of mmltr's losses: class counts as a buffer, label checks, re-weighting."""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn

CountsLike = Union[Sequence[int], torch.Tensor, None]


def check_hard_labels(label: torch.Tensor, cls_score: torch.Tensor, loss_name: str) -> torch.Tensor:
    """Return ``label`` as a 1-D long tensor, or raise a clear error for soft/bad labels.

    Shape and dtype are checked always; the value range only for CPU tensors (no device sync).
    """
    if label.dim() != 1 or label.is_floating_point():
        raise ValueError(
            f'{loss_name} needs hard integer labels of shape (N,), got a {label.dtype} tensor of '
            f'shape {tuple(label.shape)}. Soft labels (e.g. from Mixup/CutMix batch augments) are '
            f'not supported by this loss: remove `train_cfg.augments` or use CrossEntropyLoss.')
    if label.numel() != cls_score.size(0):
        raise ValueError(f'{loss_name}: {label.numel()} labels for {cls_score.size(0)} scores.')
    # The range check reads values, a host sync on an accelerator: do it for CPU tensors only
    # (on CUDA an out-of-range label still trips the gather/cross-entropy kernel's own assert).
    if label.numel() and label.device.type == 'cpu' and (
            int(label.min()) < 0 or int(label.max()) >= cls_score.size(1)):
        raise ValueError(f'{loss_name}: labels must lie in [0, {cls_score.size(1) - 1}], got '
                         f'[{int(label.min())}, {int(label.max())}].')
    return label.long()


def as_counts_tensor(class_counts: CountsLike, name: str = 'class_counts') -> torch.Tensor:
    counts = torch.as_tensor(class_counts if class_counts is not None else [], dtype=torch.float64)
    if counts.dim() != 1:
        raise ValueError(f'{name} must be a flat list of per-class image counts, got shape '
                         f'{tuple(counts.shape)}.')
    if counts.numel() and ((counts < 0).any() or (counts != counts.round()).any()):
        raise ValueError(f'{name} must hold non-negative integers, got {counts.tolist()}.')
    return counts


def rarity_margins(class_counts: torch.Tensor, largest: float, power: float) -> torch.Tensor:
    """Per-class margins ``largest * (n_c / n_min)^(-power)`` (C,) in float32.

    ``n_min`` is the smallest non-zero count, so the rarest class gets ``largest``; a class without
    training images (never a target) gets ``largest`` too. Needs at least one non-zero count.
    """
    counts = class_counts.double()
    n_min = counts[counts > 0].min()
    ratio = torch.where(counts > 0, counts / n_min, torch.ones_like(counts))
    return (largest * ratio.pow(-power)).float()


def class_balanced_weights(class_counts: torch.Tensor, beta: float) -> torch.Tensor:
    """Effective-number weights (Cui et al., CVPR'19): w_c ∝ (1-β)/(1-β^{n_c}), Σ_c w_c = C.

    ``beta=0`` gives uniform weights (all ones). Classes with zero images get weight 0 before the
    normalisation (they never appear as a target).
    """
    counts = class_counts.double()
    if not 0.0 <= beta < 1.0:
        raise ValueError(f'beta must be in [0, 1), got {beta}.')
    eff = 1.0 - torch.pow(torch.full_like(counts, beta), counts)
    w = torch.where(counts > 0, (1.0 - beta) / eff.clamp_min(1e-12), torch.zeros_like(counts))
    return (w / w.sum() * counts.numel()).float()


class CountAwareLoss(nn.Module):
    """Base for losses that need the training images per class.

    The counts live in the persistent buffer ``class_counts`` (saved in checkpoints). When not given
    in the config they are filled before training by :class:`mmltr.engine.LongTailLossHook` from
    the training dataset's ``metainfo['class_counts']``; :meth:`set_class_counts` checks them
    against ``num_classes`` and the scores. Losses with a schedule (DRW) read :attr:`epoch`, set by
    the same hook from the runner's epoch before each training epoch (resume-safe).
    """

    def __init__(self, class_counts: CountsLike = None, num_classes: Optional[int] = None) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.register_buffer('class_counts', torch.zeros(0, dtype=torch.float64))
        self.epoch = 0
        if class_counts is not None:
            self.set_class_counts(class_counts)

    # -- class counts -------------------------------------------------------------------------
    @property
    def needs_class_counts(self) -> bool:
        return self.class_counts.numel() == 0

    def set_class_counts(self, class_counts: CountsLike) -> None:
        counts = as_counts_tensor(class_counts)
        name = type(self).__name__
        if counts.numel() == 0:
            raise ValueError(f'{name}: class_counts is empty.')
        if self.num_classes is not None and counts.numel() != self.num_classes:
            raise ValueError(f'{name}: class_counts has {counts.numel()} entries but '
                             f'num_classes={self.num_classes}.')
        if (counts <= 0).all():
            raise ValueError(f'{name}: every class count is zero.')
        self.class_counts = counts.to(self.class_counts.device)
        self._on_class_counts_set()

    def _on_class_counts_set(self) -> None:
        """Hook for subclasses to derive buffers (margins, priors) from the counts."""

    def _count_derived(self, name: str, cls_score: torch.Tensor) -> torch.Tensor:
        """The buffer ``name`` derived from the counts, on ``cls_score``'s device.

        Checks the counts against the scores (:meth:`get_class_counts`) and re-derives every
        dependent buffer first when ``name`` is stale (e.g. counts assigned directly).
        """
        self.get_class_counts(cls_score)
        if getattr(self, name).numel() != self.class_counts.numel():
            self._on_class_counts_set()
        return getattr(self, name).to(cls_score.device)

    def get_class_counts(self, cls_score: torch.Tensor) -> torch.Tensor:
        name = type(self).__name__
        if self.needs_class_counts:
            raise RuntimeError(
                f'{name} has no class_counts: pass class_counts=[...] in its config, or train with '
                f"mmltr's LongTailLossHook (in configs/_base_/default_runtime.py) so they are filled "
                f"from the training dataset's metainfo['class_counts'].")
        if self.class_counts.numel() != cls_score.size(-1):
            raise ValueError(f'{name}: class_counts has {self.class_counts.numel()} entries but the '
                             f'classifier outputs {cls_score.size(-1)} scores (num_classes mismatch).')
        return self.class_counts

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # Counts may be unknown when the module is built (filled later from the dataset); take
        # the checkpoint's counts (and re-derive dependent buffers) instead of a size mismatch.
        key = prefix + 'class_counts'
        if key in state_dict and state_dict[key].numel() and self.needs_class_counts:
            self.class_counts = torch.zeros_like(state_dict[key], device=self.class_counts.device)
            self._on_class_counts_set()
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        if key in state_dict and state_dict[key].numel():
            self._on_class_counts_set()

    # -- schedule -----------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """0-based index of the training epoch about to run (set by LongTailLossHook)."""
        self.epoch = int(epoch)


def check_cosine_scores(cos: torch.Tensor, loss_name: str, tol: float = 1e-3) -> None:
    """Raise a clear error when a loss that expects raw cosines (DBM, LDAM) gets logits.

    Costs one device sync, so losses call it on their first forward only.
    """
    if cos.numel() and float(cos.detach().abs().max()) > 1.0 + tol:
        raise ValueError(
            f'{loss_name} expects raw cosine similarities in [-1, 1] (it applies its own scale and '
            f'margins), got scores up to {float(cos.detach().abs().max()):.3g}. Use it with '
            "CosineClsHead (which hands raw cosines to losses with `expects_cosine = True`).")
