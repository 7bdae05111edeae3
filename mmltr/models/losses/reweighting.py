"""Class re-weighting shared by the rebalancing losses: class-balanced weights and DRW.

* :func:`reduce_class_weighted`: MMPretrain's ``weight_reduce_loss`` (per-sample ``weight``,
  ``avg_factor``, ``'none'/'mean'/'sum'``) plus per-class weights, with the weighted mean of
  ``F.cross_entropy(weight=...)``.
* :class:`ReweightedLoss`: a :class:`~mmltr.models.losses.utils.CountAwareLoss` whose class weights
  are the effective-number weights (1-β)/(1-β^{n_c}) normalised to sum C (Cui et al., CVPR'19),
  switched on from epoch ``drw_epoch`` (deferred re-weighting, Cao et al., NeurIPS'19). LDAM-DRW,
  DBM-DRW, CE-DRW and the class-balanced CE/focal losses all use this one piece. Its ``forward``
  is ``reduce(per_sample_loss(cls_score, label), class_weights)``; subclasses give the per-sample
  loss.
* :class:`CosineMarginLoss`: the part LDAM and DBM share, margin losses on raw cosines with
  per-class margins ``largest * (n_c / n_min)^(-power)``.

Reduction with class weights (``reduction='mean'``)
---------------------------------------------------
With class weight ``c_i = w[y_i]``, per-sample weight ``w_i`` (1 when not given) and per-sample
loss ``l_i``:

* ``weighted_mean=True`` (default): MMPretrain's ``sum_i c_i w_i l_i / avg_factor`` divided by
  the batch's mean class weight ``sum_i c_i w_i / sum_i w_i``, i.e.
  ``sum_i c_i w_i l_i / sum_i c_i w_i * (sum_i w_i / avg_factor)``. With no per-sample weights and
  ``avg_factor`` = N (what ``ClsHead`` passes) or None this is exactly
  ``F.cross_entropy(logits, y, weight=c)``, the weighted mean ``sum_i c_i l_i / sum_i c_i`` that
  the LDAM-DRW and DBM reference codes optimise; whenever all class weights are 1 (e.g. DRW before
  its switch epoch) it is exactly MMPretrain's ``weight_reduce_loss``.
* ``weighted_mean=False``: MMPretrain's ``CrossEntropyLoss(class_weight=...)`` semantics,
  ``sum_i c_i w_i l_i / avg_factor`` (``avg_factor`` = batch size from ``ClsHead``). The loss scale
  then drifts with the batch's class mix (larger when a batch holds many tail samples).

``'sum'`` and ``'none'`` never normalise by the weights (``'none'`` returns ``c_i w_i l_i``).
"""
from typing import Optional, Tuple

import torch
from mmpretrain.models.losses.utils import weight_reduce_loss

from .utils import (CountAwareLoss, CountsLike, check_cosine_scores, check_hard_labels,
                    class_balanced_weights, rarity_margins)

REDUCTIONS = ('none', 'mean', 'sum')


def reduce_class_weighted(loss: torch.Tensor,
                          label: torch.Tensor,
                          class_weight: Optional[torch.Tensor] = None,
                          weight: Optional[torch.Tensor] = None,
                          reduction: str = 'mean',
                          avg_factor: Optional[float] = None,
                          weighted_mean: bool = True) -> torch.Tensor:
    """Reduce the per-sample ``loss`` (N,) of samples labelled ``label`` (N,).

    See the module docstring for the formulas. ``weight`` is MMPretrain's per-sample weight and
    ``avg_factor`` its normaliser for ``'mean'`` (``'sum'`` with ``avg_factor`` raises, as in
    ``weight_reduce_loss``).
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}.')
    if weight is not None:
        weight = weight.to(loss.dtype)
        if weight.dim() > 1:
            weight = weight.reshape(-1)
        if weight.numel() != loss.numel():
            raise ValueError(f'weight has {weight.numel()} entries for {loss.numel()} samples.')
    cw = None
    if class_weight is not None:
        cw = class_weight.to(loss)[label]
        loss = loss * cw
    out = weight_reduce_loss(loss, weight=weight, reduction=reduction, avg_factor=avg_factor)
    if reduction == 'mean' and cw is not None and weighted_mean:
        w = weight if weight is not None else torch.ones_like(cw)
        # divide by the batch's (w-weighted) mean class weight sum(c w) / sum(w)
        out = out * (w.sum() / (cw * w).sum().clamp_min(torch.finfo(loss.dtype).tiny))
    return out


class ReweightedLoss(CountAwareLoss):
    """A count-aware loss with optional class-balanced (CB) weights switched on at ``drw_epoch``.

    Args:
        class_counts: training images per class (filled by ``LongTailLossHook`` when None).
        beta (float | None): effective-number β of the CB weights; None disables re-weighting.
        drw_epoch (int | None): 0-based epoch from which the CB weights are used (``self.epoch``,
            set by ``LongTailLossHook`` from ``runner.epoch``, so the switch survives a resume).
            ``0`` = from the start (plain class-balanced loss), ``160`` = DRW of the 200-epoch
            CIFAR recipe, ``None`` = never. Before the switch every class weight is 1 (as the
            reference codes' β=0 stage).
        weighted_mean (bool): how ``'mean'`` normalises class-weighted losses (module docstring).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): multiplier of the loss.
        num_classes (int, optional): checked against ``class_counts`` when given.
    """

    def __init__(self,
                 class_counts: CountsLike = None,
                 beta: Optional[float] = 0.9999,
                 drw_epoch: Optional[int] = None,
                 weighted_mean: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 num_classes: Optional[int] = None) -> None:
        super().__init__(class_counts=None, num_classes=num_classes)
        name = type(self).__name__
        if beta is not None and not 0.0 <= float(beta) < 1.0:
            raise ValueError(f'{name}: beta must be in [0, 1) or None, got {beta}.')
        if drw_epoch is not None and (isinstance(drw_epoch, bool) or int(drw_epoch) != drw_epoch
                                      or drw_epoch < 0):
            raise ValueError(f'{name}: drw_epoch must be a non-negative int or None, got '
                             f'{drw_epoch!r}.')
        if reduction not in REDUCTIONS:
            raise ValueError(f'{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}.')
        self.beta = None if beta is None else float(beta)
        self.drw_epoch = None if drw_epoch is None else int(drw_epoch)
        self.weighted_mean = bool(weighted_mean)
        self.reduction = reduction
        self.loss_weight = float(loss_weight)
        # Derived from class_counts; not saved (re-derived when counts are set or loaded).
        self.register_buffer('cb_weights', torch.zeros(0), persistent=False)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts_set(self) -> None:
        super()._on_class_counts_set()
        if self.beta is not None and bool((self.class_counts > 0).any()):
            self.cb_weights = class_balanced_weights(self.class_counts, self.beta).to(
                self.class_counts.device)

    # -- re-weighting -------------------------------------------------------------------------
    @property
    def reweighting_active(self) -> bool:
        """Whether the CB weights apply in the current epoch."""
        return (self.beta is not None and self.drw_epoch is not None
                and self.epoch >= self.drw_epoch)

    def class_weights(self, cls_score: torch.Tensor) -> Optional[torch.Tensor]:
        """The per-class weights (C,) for this epoch, or None (= all ones)."""
        if not self.reweighting_active:
            return None
        return self._count_derived('cb_weights', cls_score).to(cls_score.dtype)

    # -- the loss -----------------------------------------------------------------------------
    def check_inputs(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """``label`` as a 1-D long tensor after the checks of :func:`check_hard_labels`."""
        return check_hard_labels(label, cls_score, type(self).__name__)

    def per_sample_loss(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """The loss of every sample (N,), before class weights, reduction and ``loss_weight``."""
        raise NotImplementedError(f'{type(self).__name__} must define per_sample_loss().')

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        label = self.check_inputs(cls_score, label)
        class_weight = self.class_weights(cls_score)
        loss = self.per_sample_loss(cls_score, label)
        return self.reduce(loss, label, class_weight, weight, avg_factor, reduction_override)

    def reduce(self, loss: torch.Tensor, label: torch.Tensor, class_weight=None, weight=None,
               avg_factor=None, reduction_override=None) -> torch.Tensor:
        if reduction_override not in (None, ) + REDUCTIONS:
            raise ValueError(f'reduction_override must be None or one of {REDUCTIONS}, got '
                             f'{reduction_override!r}.')
        reduction = reduction_override if reduction_override else self.reduction
        return self.loss_weight * reduce_class_weighted(
            loss, label, class_weight=class_weight, weight=weight, reduction=reduction,
            avg_factor=avg_factor, weighted_mean=self.weighted_mean)

    def extra_repr(self) -> str:
        return (f'beta={self.beta}, drw_epoch={self.drw_epoch}, '
                f'weighted_mean={self.weighted_mean}, reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')


class CosineMarginLoss(ReweightedLoss):
    """A :class:`ReweightedLoss` on **raw cosines** with per-class margins (LDAM, DBM).

    ``CosineClsHead`` hands raw cosines to it (``expects_cosine``); the first forward checks that
    the scores are cosines (:func:`check_cosine_scores`, one device sync). The margins
    ``largest * (n_c / n_min)^(-power)`` (:func:`rarity_margins`, ``(largest, power)`` from
    :meth:`margin_law`) live in the non-persistent buffer ``class_margins``, derived whenever the
    counts are set or loaded. Subclasses call :meth:`set_class_counts` at the end of their
    ``__init__`` (after registering their own count-derived buffers).
    """

    #: ``CosineClsHead`` hands this loss raw cosines instead of ``scale * cos``.
    expects_cosine = True

    def __init__(self, **kwargs) -> None:
        super().__init__(class_counts=None, **kwargs)
        self.register_buffer('class_margins', torch.zeros(0), persistent=False)
        self._input_checked = False

    def margin_law(self) -> Tuple[float, float]:
        """``(largest, power)``: the rarest class's margin and the exponent of the class ratio."""
        raise NotImplementedError(f'{type(self).__name__} must define margin_law().')

    def _on_class_counts_set(self) -> None:
        super()._on_class_counts_set()
        if bool((self.class_counts > 0).any()):
            self.class_margins = rarity_margins(self.class_counts, *self.margin_law())

    def margins(self, cls_score: torch.Tensor) -> torch.Tensor:
        """The per-class margins (C,) on ``cls_score``'s device."""
        return self._count_derived('class_margins', cls_score)

    def check_inputs(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        label = super().check_inputs(cls_score, label)
        if not self._input_checked:
            check_cosine_scores(cls_score, type(self).__name__)
            self._input_checked = True
        return label
