"""Class-balanced (effective-number) softmax CE / focal loss, and CE-DRW.

Cui et al., Class-Balanced Loss Based on Effective Number of Samples, CVPR 2019,
https://arxiv.org/abs/1901.05555; deferred re-weighting (DRW) from Cao et al., Learning
Imbalanced Datasets with Label-Distribution-Aware Margin Loss, NeurIPS 2019,
https://arxiv.org/abs/1906.07413.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .count_aware_loss import CountAwareLoss
from .utils import (
    CountsLike,
    check_hard_labels,
    check_reweighting,
    class_balanced_weights,
    drw_active,
    reduce_class_weighted,
)

BASES = ('ce', 'focal')


def softmax_focal_loss(logits: torch.Tensor, label: torch.Tensor, gamma: float) -> torch.Tensor:
    """Per-sample softmax focal loss ``-(1 - p_y)^gamma * log p_y`` (gamma=0: cross-entropy)."""
    logp = F.log_softmax(logits.float(), dim=1).gather(1, label[:, None]).squeeze(1)
    if gamma == 0:
        return -logp
    # The clamp keeps the gradient finite for gamma < 1 when p_y rounds to 1 (loss is 0 there).
    modulator = (1.0 - logp.exp()).clamp_min(1e-12).pow(gamma)
    return -modulator * logp


def class_balanced_loss(cls_score: torch.Tensor,
                        label: torch.Tensor,
                        class_weight: Optional[torch.Tensor] = None,
                        base: str = 'ce',
                        gamma: float = 1.0,
                        weight: Optional[torch.Tensor] = None,
                        reduction: str = 'mean',
                        avg_factor: Optional[float] = None,
                        weighted_mean: bool = True) -> torch.Tensor:
    """Softmax CE (``base='ce'``) or softmax focal loss (``'focal'``) with class weights.

    Args:
        cls_score (Tensor): logits (N, C), computed in float32.
        label (Tensor): hard labels (N,).
        class_weight (Tensor, optional): per-class weights (C,), e.g.
            :func:`class_balanced_weights`; None = all ones.
        base (str): ``'ce'`` or ``'focal'``.
        gamma (float): focusing parameter of the focal base.
        weight, reduction, avg_factor, weighted_mean: see :func:`reduce_class_weighted`.
    """
    if base == 'focal':
        loss = softmax_focal_loss(cls_score, label, gamma)
    else:
        loss = F.cross_entropy(cls_score.float(), label, reduction='none')
    return reduce_class_weighted(loss, label, class_weight, weight, reduction, avg_factor,
                                 weighted_mean)


@MODELS.register_module()
class ClassBalancedLoss(CountAwareLoss):
    """Class-balanced loss: per-class weights (1-β)/(1-β^{n_c}), normalised to sum C.

    ``base='ce'`` gives class-balanced softmax CE, ``base='focal'`` the class-balanced softmax focal
    loss. The weights apply from epoch ``drw_epoch`` on (0 = always): **CE-DRW** (the deferred
    re-weighting baseline of LDAM-DRW/DBM) is ``ClassBalancedLoss(drw_epoch=160)`` on the 200-epoch
    CIFAR recipe. ``'mean'`` is the class-weighted mean of ``F.cross_entropy(weight=...)`` unless
    ``weighted_mean=False`` (see :mod:`mmltr.models.losses.utils`).

    Note: LDAM-DRW's reference ``FocalLoss`` computes p_y from the *weighted* CE and averages over
    the batch; here p_y is the true softmax probability and the weights multiply the focal term.

    Args:
        beta (float | None): effective-number β. Defaults to 0.9999. None = no weights (then no
            class counts are needed).
        base (str): ``'ce'`` or ``'focal'``.
        gamma (float): focusing parameter of the focal base (ignored for ``'ce'``). Defaults to 1.
        drw_epoch (int | None): 0-based epoch from which the weights are used (``self.epoch``,
            set by ``LongTailLossHook`` from ``runner.epoch``, so the switch survives a resume);
            0 = from the start, None = never. Before the switch every class weight is 1.
        class_counts (list[int], optional): training images per class (filled by
            ``LongTailLossHook`` when None).
        weighted_mean (bool): how ``'mean'`` normalises class-weighted losses
            (:func:`reduce_class_weighted`).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): multiplier of the loss.
        num_classes (int, optional): checked against ``class_counts``.
    """

    def __init__(self,
                 beta: Optional[float] = 0.9999,
                 base: str = 'ce',
                 gamma: float = 1.0,
                 drw_epoch: Optional[int] = 0,
                 class_counts: CountsLike = None,
                 weighted_mean: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 num_classes: Optional[int] = None) -> None:
        name = type(self).__name__
        if base not in BASES:
            raise ValueError(f'{name}: base must be one of {BASES}, got {base!r}.')
        if float(gamma) < 0:
            raise ValueError(f'{name}: gamma must be >= 0, got {gamma}.')
        super().__init__(num_classes, reduction, loss_weight)
        self.beta, self.drw_epoch = check_reweighting(beta, drw_epoch, name)
        self.base = base
        self.gamma = float(gamma)
        self.weighted_mean = bool(weighted_mean)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _derive(self) -> dict:
        if self.beta is None:
            return {}
        return dict(cb_weights=class_balanced_weights(self.class_counts, self.beta))

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        label = check_hard_labels(label, cls_score, type(self).__name__)
        class_weight = None
        if drw_active(self.beta, self.drw_epoch, self.epoch):
            class_weight = self._table('cb_weights', cls_score).to(cls_score.dtype)
        return self.loss_weight * class_balanced_loss(
            cls_score, label, class_weight, self.base, self.gamma, weight,
            self._reduction(reduction_override), avg_factor, self.weighted_mean)

    def extra_repr(self) -> str:
        return (f'base={self.base!r}, gamma={self.gamma}, beta={self.beta}, '
                f'drw_epoch={self.drw_epoch}, weighted_mean={self.weighted_mean}, '
                f'reduction={self.reduction!r}, loss_weight={self.loss_weight}')


@MODELS.register_module()
class SoftmaxFocalLoss(ClassBalancedLoss):
    """``ClassBalancedLoss(base='focal')`` without class weights by default (``beta=None``).

    ``-(1 - p_y)^gamma * log p_y`` with p = softmax(logits); MMPretrain's ``FocalLoss`` is the
    *sigmoid* (one-vs-all) focal loss. ``gamma=0`` is cross-entropy; ``gamma`` defaults to 1.0
    (LDAM-DRW's focal baseline). With ``beta`` set, samples are weighted by the class-balanced
    weights from epoch ``drw_epoch`` on (``beta=0.9999`` = CB focal). Other arguments
    (``drw_epoch``, ``class_counts``, ``weighted_mean``, ``reduction``, ``loss_weight``,
    ``num_classes``) and their defaults are :class:`ClassBalancedLoss`'s.
    """

    def __init__(self, gamma: float = 1.0, beta: Optional[float] = None, **kwargs) -> None:
        super().__init__(beta=beta, base='focal', gamma=gamma, **kwargs)
