"""Balanced Softmax, the logit-adjusted cross-entropy.

Ren et al., Balanced Meta-Softmax for Long-Tailed Visual Recognition, NeurIPS 2020,
https://arxiv.org/abs/2007.10740; Menon et al., Long-tail learning via logit adjustment,
ICLR 2021, https://arxiv.org/abs/2007.07314.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .count_aware_loss import CountAwareLoss
from .utils import CountsLike, check_hard_labels, log_class_prior, reduce_class_weighted


def balanced_softmax_loss(cls_score: torch.Tensor,
                          label: torch.Tensor,
                          log_prior: torch.Tensor,
                          tau: float = 1.0,
                          weight: Optional[torch.Tensor] = None,
                          reduction: str = 'mean',
                          avg_factor: Optional[float] = None) -> torch.Tensor:
    """Cross-entropy on ``cls_score + tau * log_prior`` (computed in float32).

    Args:
        cls_score (Tensor): logits (N, C).
        label (Tensor): hard labels (N,).
        log_prior (Tensor): ``log(n_c / sum n)`` (C,), see :func:`log_class_prior`.
        tau (float): weight of the log prior.
        weight, reduction, avg_factor: MMPretrain's per-sample weight, reduction and
            normaliser (:func:`reduce_class_weighted` without class weights).
    """
    logits = cls_score.float() + tau * log_prior
    loss = F.cross_entropy(logits, label, reduction='none')
    return reduce_class_weighted(loss, label, weight=weight, reduction=reduction,
                                 avg_factor=avg_factor)


@MODELS.register_module()
class BalancedSoftmaxLoss(CountAwareLoss):
    """Cross-entropy on ``z + tau * log(prior)``, prior_c = n_c / sum_j n_j.

    Only the training loss is adjusted: the head's test-time logits are unchanged (the prediction
    is the argmax of ``z``), which is what makes the classifier balanced. ``tau=1`` is Balanced
    Softmax; other values give the logit-adjusted loss of Menon et al.

    Works on any logits: a linear head's, or ``scale * cos`` from ``CosineClsHead`` (this loss does
    not declare ``expects_cosine``, so that head scales the cosines first).

    Args:
        tau (float): weight of the log prior. Defaults to 1.0.
        class_counts (list[int], optional): training images per class; filled from the training
            dataset by ``LongTailLossHook`` when None.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): multiplier of the loss.
        num_classes (int, optional): checked against ``class_counts``.
    """

    def __init__(self,
                 tau: float = 1.0,
                 class_counts: CountsLike = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 num_classes: Optional[int] = None) -> None:
        super().__init__(num_classes, reduction, loss_weight)
        self.tau = float(tau)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _derive(self) -> dict:
        return dict(log_prior=log_class_prior(self.class_counts))

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        label = check_hard_labels(label, cls_score, type(self).__name__)
        return self.loss_weight * balanced_softmax_loss(
            cls_score, label, self._table('log_prior', cls_score), tau=self.tau, weight=weight,
            reduction=self._reduction(reduction_override), avg_factor=avg_factor)

    def extra_repr(self) -> str:
        return f'tau={self.tau}, reduction={self.reduction!r}, loss_weight={self.loss_weight}'
