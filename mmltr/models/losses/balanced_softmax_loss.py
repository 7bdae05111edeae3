"""Balanced Softmax (Ren et al., NeurIPS'20) = logit adjustment loss (Menon et al., ICLR'21)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .reweighting import ReweightedLoss
from .utils import CountsLike


def log_class_prior(class_counts: torch.Tensor) -> torch.Tensor:
    """log(n_c / sum n) as float32; a class without training images counts as one image."""
    counts = class_counts.double().clamp_min(1.0)
    return torch.log(counts / counts.sum()).float()


@MODELS.register_module()
class BalancedSoftmaxLoss(ReweightedLoss):
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
        super().__init__(class_counts=None, beta=None, drw_epoch=None, reduction=reduction,
                         loss_weight=loss_weight, num_classes=num_classes)
        self.tau = float(tau)
        self.register_buffer('log_prior', torch.zeros(0), persistent=False)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts_set(self) -> None:
        super()._on_class_counts_set()
        if bool((self.class_counts > 0).any()):
            self.log_prior = log_class_prior(self.class_counts).to(self.class_counts.device)

    def adjusted_logits(self, cls_score: torch.Tensor) -> torch.Tensor:
        """``cls_score + tau * log prior`` in float32."""
        return cls_score.float() + self.tau * self._count_derived('log_prior', cls_score)

    def per_sample_loss(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        # no class weights: beta=None keeps class_weights() at None
        return F.cross_entropy(self.adjusted_logits(cls_score), label, reduction='none')

    def extra_repr(self) -> str:
        return f'tau={self.tau}, reduction={self.reduction!r}, loss_weight={self.loss_weight}'
