"""Softmax focal loss (Lin et al., ICCV'17, in the softmax form used by LDAM-DRW)."""
from typing import Optional

from mmpretrain.registry import MODELS

from .class_balanced_loss import ClassBalancedLoss
from .utils import CountsLike


@MODELS.register_module()
class SoftmaxFocalLoss(ClassBalancedLoss):
    """``-(1 - p_y)^gamma * log p_y`` with p = softmax(logits); optional class-balanced weights.

    MMPretrain's ``FocalLoss`` is the *sigmoid* (one-vs-all) focal loss; this is the softmax one.
    ``gamma=0`` is cross-entropy. With ``beta`` set, samples are weighted by the class-balanced
    weights from epoch ``drw_epoch`` on (``beta=0.9999, drw_epoch=0`` = CB focal; the same as
    ``ClassBalancedLoss(base='focal')``). Without ``beta`` no class counts are needed.

    Args:
        gamma (float): focusing parameter. Defaults to 1.0 (LDAM-DRW's focal baseline).
        beta (float | None): effective-number β of optional class weights. Defaults to None.
        drw_epoch (int | None): 0-based epoch from which the weights apply. Defaults to 0.
        class_counts, weighted_mean, reduction, loss_weight, num_classes: see ``ReweightedLoss``.
    """

    def __init__(self,
                 gamma: float = 1.0,
                 beta: Optional[float] = None,
                 drw_epoch: Optional[int] = 0,
                 class_counts: CountsLike = None,
                 weighted_mean: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 num_classes: Optional[int] = None) -> None:
        super().__init__(beta=beta, base='focal', gamma=gamma, drw_epoch=drw_epoch,
                         class_counts=class_counts, weighted_mean=weighted_mean,
                         reduction=reduction, loss_weight=loss_weight, num_classes=num_classes)
