"""LDAM loss with optional deferred re-weighting (Cao et al., NeurIPS'19)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .reweighting import CosineMarginLoss
from .utils import CountsLike


@MODELS.register_module()
class LDAMLoss(CosineMarginLoss):
    """Label-distribution-aware margin loss on **raw cosines** (use it with ``CosineClsHead``).

    ``m_c = max_margin * (n_min / n_c)^(1/4)`` (∝ n_c^(-1/4), the rarest class gets
    ``max_margin``) is subtracted from the target cosine, then everything is multiplied by
    ``scale``: ``CE(scale * (cos - m_y * onehot(y)), y)``. From epoch ``drw_epoch`` on the CE is
    weighted by the class-balanced weights (DRW); ``drw_epoch=None`` is plain LDAM.

    Args:
        class_counts (list[int], optional): training images per class (filled by
            ``LongTailLossHook`` when None).
        max_margin (float): margin of the rarest class. Defaults to 0.5.
        scale (float): cosine scale s. Defaults to 30.
        drw_epoch (int | None): 0-based epoch of the DRW switch (160 of 200 in the CIFAR recipe);
            None = no re-weighting. Defaults to None.
        beta (float): effective-number β of the DRW weights. Defaults to 0.9999.
        weighted_mean, reduction, loss_weight, num_classes: see ``ReweightedLoss``.
    """

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
        super().__init__(beta=beta, drw_epoch=drw_epoch, weighted_mean=weighted_mean,
                         reduction=reduction, loss_weight=loss_weight, num_classes=num_classes)
        if float(max_margin) < 0 or float(scale) <= 0:
            raise ValueError(f'LDAMLoss: need max_margin >= 0 and scale > 0, got {max_margin}, '
                             f'{scale}.')
        self.max_margin = float(max_margin)
        self.scale = float(scale)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def margin_law(self):
        # m_c = max_margin * (n_min / n_c)^(1/4); a class without images (never a target) gets
        # the largest margin.
        return self.max_margin, 0.25

    def ldam_logits(self, cos: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """``scale * (cos - m_y onehot(y))`` in float32."""
        cos = cos.float()
        m_y = self.margins(cos)[label]
        cos_y = cos.gather(1, label[:, None]) - m_y[:, None]
        return self.scale * cos.scatter(1, label[:, None], cos_y)

    def per_sample_loss(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.ldam_logits(cls_score, label), label, reduction='none')

    def extra_repr(self) -> str:
        return f'max_margin={self.max_margin}, scale={self.scale}, ' + super().extra_repr()
