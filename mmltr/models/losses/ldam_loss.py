"""LDAM loss with optional deferred re-weighting (LDAM-DRW).

Cao et al., Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss, NeurIPS 2019,
https://arxiv.org/abs/1906.07413.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .count_aware_loss import CountAwareLoss
from .utils import (
    CountsLike,
    check_cosine_scores,
    check_hard_labels,
    check_numbers,
    check_reweighting,
    class_balanced_weights,
    drw_active,
    rarity_margins,
    reduce_class_weighted,
)


def ldam_logits(cos: torch.Tensor, label: torch.Tensor, class_margins: torch.Tensor,
                scale: float = 30.0) -> torch.Tensor:
    """``scale * (cos - m_y onehot(y))`` (N, C) in float32 from raw cosines ``cos`` (N, C)."""
    cos = cos.float()
    m_y = class_margins[label]
    cos_y = cos.gather(1, label[:, None]) - m_y[:, None]
    return scale * cos.scatter(1, label[:, None], cos_y)


def ldam_loss(cos: torch.Tensor,
              label: torch.Tensor,
              class_margins: torch.Tensor,
              scale: float = 30.0,
              class_weight: Optional[torch.Tensor] = None,
              weight: Optional[torch.Tensor] = None,
              reduction: str = 'mean',
              avg_factor: Optional[float] = None,
              weighted_mean: bool = True) -> torch.Tensor:
    """Cross-entropy on :func:`ldam_logits` with optional class weights (DRW), reduced by
    :func:`reduce_class_weighted`.

    Args:
        cos (Tensor): raw cosines (N, C).
        label (Tensor): hard labels (N,).
        class_margins (Tensor): per-class margins (C,), see :func:`rarity_margins`.
        scale (float): cosine scale s.
        class_weight (Tensor, optional): per-class weights (C,) (DRW); None = all ones.
        weight, reduction, avg_factor, weighted_mean: see :func:`reduce_class_weighted`.
    """
    loss = F.cross_entropy(ldam_logits(cos, label, class_margins, scale), label, reduction='none')
    return reduce_class_weighted(loss, label, class_weight, weight, reduction, avg_factor,
                                 weighted_mean)


@MODELS.register_module()
class LDAMLoss(CountAwareLoss):
    """Label-distribution-aware margin loss on **raw cosines** (use it with ``CosineClsHead``).

    ``m_c = max_margin * (n_min / n_c)^(1/4)`` (∝ n_c^(-1/4), the rarest class gets
    ``max_margin``; a class without images, never a target, gets it too) is subtracted from the
    target cosine, then everything is multiplied by ``scale``:
    ``CE(scale * (cos - m_y * onehot(y)), y)``. From epoch ``drw_epoch`` on the CE is weighted by
    the class-balanced weights (DRW, :func:`drw_active`); ``drw_epoch=None`` is plain LDAM. The
    first forward checks that the scores are cosines (one device sync).

    Args:
        class_counts (list[int], optional): training images per class (filled by
            ``LongTailLossHook`` when None).
        max_margin (float): margin of the rarest class. Defaults to 0.5.
        scale (float): cosine scale s. Defaults to 30.
        drw_epoch (int | None): 0-based epoch of the DRW switch (160 of 200 in the CIFAR recipe);
            None = no re-weighting. Defaults to None.
        beta (float): effective-number β of the DRW weights. Defaults to 0.9999.
        weighted_mean (bool): how ``'mean'`` normalises class-weighted losses
            (:func:`reduce_class_weighted`).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): multiplier of the loss.
        num_classes (int, optional): the number of classes, checked against ``class_counts``.
    """

    #: ``CosineClsHead`` hands this loss raw cosines instead of ``scale * cos``.
    expects_cosine = True

    def __init__(self,
                 class_counts: CountsLike = None,
                 max_margin: float = 0.5,
                 scale: float = 30.0,
                 drw_epoch: Optional[int] = None,
                 beta: float = 0.9999,
                 weighted_mean: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 num_classes: Optional[int] = None) -> None:
        check_numbers('LDAMLoss', max_margin=max_margin, scale=scale, loss_weight=loss_weight)
        if float(max_margin) < 0 or float(scale) <= 0:
            raise ValueError(f'LDAMLoss: need max_margin >= 0 and scale > 0, got {max_margin}, '
                             f'{scale}.')
        super().__init__(num_classes, reduction, loss_weight)
        self._input_checked = False  # the first forward checks that the scores are cosines
        self.max_margin = float(max_margin)
        self.scale = float(scale)
        self.beta, self.drw_epoch = check_reweighting(beta, drw_epoch, 'LDAMLoss')
        self.weighted_mean = bool(weighted_mean)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    @property
    def uses_epochs(self) -> bool:
        return self.beta is not None and self.drw_epoch not in (None, 0)

    def _derive(self) -> dict:
        counts = self.class_counts
        return dict(
            class_margins=rarity_margins(counts, self.max_margin, 0.25),
            cb_weights=None if self.beta is None else class_balanced_weights(counts, self.beta))

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        label = check_hard_labels(label, cls_score, type(self).__name__)
        if not self._input_checked:
            check_cosine_scores(cls_score, type(self).__name__)
            self._input_checked = True
        margins = self._table('class_margins', cls_score)  # checks the counts
        drw = drw_active(self.beta, self.drw_epoch, self.epoch)
        return self.loss_weight * ldam_loss(
            cls_score, label, margins, self.scale, self.cb_weights.to(cls_score) if drw else None,
            weight, self._reduction(reduction_override), avg_factor, self.weighted_mean)

    def extra_repr(self) -> str:
        return (f'max_margin={self.max_margin}, scale={self.scale}, beta={self.beta}, '
                f'drw_epoch={self.drw_epoch}, weighted_mean={self.weighted_mean}, '
                f'reduction={self.reduction!r}, loss_weight={self.loss_weight}')
