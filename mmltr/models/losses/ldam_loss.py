"""LDAM loss with optional deferred re-weighting (Cao et al., NeurIPS'19)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .reweighting import ReweightedLoss
from .utils import CountsLike, check_cosine_scores, check_hard_labels


@MODELS.register_module()
class LDAMLoss(ReweightedLoss):
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
        super().__init__(class_counts=None, beta=beta, drw_epoch=drw_epoch,
                         weighted_mean=weighted_mean, reduction=reduction,
                         loss_weight=loss_weight, num_classes=num_classes)
        if float(max_margin) < 0 or float(scale) <= 0:
            raise ValueError(f'LDAMLoss: need max_margin >= 0 and scale > 0, got {max_margin}, '
                             f'{scale}.')
        self.max_margin = float(max_margin)
        self.scale = float(scale)
        self.register_buffer('class_margins', torch.zeros(0), persistent=False)
        self._input_checked = False
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts_set(self) -> None:
        super()._on_class_counts_set()
        counts = self.class_counts.double()
        if not bool((counts > 0).any()):
            return
        n_min = counts[counts > 0].min()
        # A class without training images never is a target; give it the largest margin.
        ratio = torch.where(counts > 0, n_min / counts.clamp_min(1.0), torch.ones_like(counts))
        self.class_margins = (self.max_margin * ratio.pow(0.25)).float()

    def margins(self, cls_score: torch.Tensor) -> torch.Tensor:
        self.get_class_counts(cls_score)
        if self.class_margins.numel() != self.class_counts.numel():
            self._on_class_counts_set()
        return self.class_margins.to(cls_score.device)

    def ldam_logits(self, cos: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """``scale * (cos - m_y onehot(y))`` in float32."""
        cos = cos.float()
        m_y = self.margins(cos)[label]
        cos_y = cos.gather(1, label[:, None]) - m_y[:, None]
        return self.scale * cos.scatter(1, label[:, None], cos_y)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        label = check_hard_labels(label, cls_score, type(self).__name__)
        if not self._input_checked:
            check_cosine_scores(cls_score, type(self).__name__)
            self._input_checked = True
        loss = F.cross_entropy(self.ldam_logits(cls_score, label), label, reduction='none')
        return self.reduce(loss, label, self.class_weights(cls_score), weight, avg_factor,
                           reduction_override)

    def extra_repr(self) -> str:
        return f'max_margin={self.max_margin}, scale={self.scale}, ' + super().extra_repr()
