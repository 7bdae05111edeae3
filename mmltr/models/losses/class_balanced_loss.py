"""Class-balanced (effective-number) CE / softmax focal loss and CE-DRW (Cui et al.; Cao et al.)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .reweighting import ReweightedLoss
from .utils import CountsLike

BASES = ('ce', 'focal')


def softmax_focal_loss(logits: torch.Tensor, label: torch.Tensor, gamma: float) -> torch.Tensor:
    """Per-sample softmax focal loss ``-(1 - p_y)^gamma * log p_y`` (gamma=0: cross-entropy)."""
    logp = F.log_softmax(logits.float(), dim=1).gather(1, label[:, None]).squeeze(1)
    if gamma == 0:
        return -logp
    # The clamp keeps the gradient finite for gamma < 1 when p_y rounds to 1 (loss is 0 there).
    modulator = (1.0 - logp.exp()).clamp_min(1e-12).pow(gamma)
    return -modulator * logp


@MODELS.register_module()
class ClassBalancedLoss(ReweightedLoss):
    """Class-balanced loss: per-class weights (1-β)/(1-β^{n_c}), normalised to sum C.

    ``base='ce'`` gives class-balanced softmax CE, ``base='focal'`` the class-balanced softmax focal
    loss. The weights apply from epoch ``drw_epoch`` on (0 = always): **CE-DRW** (the deferred
    re-weighting baseline of LDAM-DRW/DBM) is ``ClassBalancedLoss(drw_epoch=160)`` on the 200-epoch
    CIFAR recipe. ``'mean'`` is the class-weighted mean of ``F.cross_entropy(weight=...)`` unless
    ``weighted_mean=False`` (see :mod:`mmltr.models.losses.reweighting`).

    Note: LDAM-DRW's reference ``FocalLoss`` computes p_y from the *weighted* CE and averages over
    the batch; here p_y is the true softmax probability and the weights multiply the focal term.

    Args:
        beta (float | None): effective-number β. Defaults to 0.9999. None = no weights.
        base (str): ``'ce'`` or ``'focal'``.
        gamma (float): focusing parameter of the focal base (ignored for ``'ce'``). Defaults to 1.
        drw_epoch (int | None): 0-based epoch from which the weights are used; 0 = from the start,
            None = never.
        class_counts, weighted_mean, reduction, loss_weight, num_classes: see ``ReweightedLoss``.
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
        if base not in BASES:
            raise ValueError(f'{type(self).__name__}: base must be one of {BASES}, got {base!r}.')
        if float(gamma) < 0:
            raise ValueError(f'{type(self).__name__}: gamma must be >= 0, got {gamma}.')
        super().__init__(class_counts=class_counts, beta=beta, drw_epoch=drw_epoch,
                         weighted_mean=weighted_mean, reduction=reduction,
                         loss_weight=loss_weight, num_classes=num_classes)
        self.base = base
        self.gamma = float(gamma)

    def per_sample_loss(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        if self.base == 'focal':
            return softmax_focal_loss(cls_score, label, self.gamma)
        return F.cross_entropy(cls_score.float(), label, reduction='none')

    def extra_repr(self) -> str:
        return f'base={self.base!r}, gamma={self.gamma}, ' + super().extra_repr()
