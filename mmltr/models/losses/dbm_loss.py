"""DBM: difficulty-aware balancing margin loss (Son et al., AAAI'25, arXiv 2412.15477)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .balanced_softmax_loss import log_class_prior
from .reweighting import CosineMarginLoss
from .utils import CountsLike

BASES = ('ce', 'bs', 'drw')


@MODELS.register_module()
class DBMLoss(CosineMarginLoss):
    r"""Difficulty-aware balancing margin loss on **raw cosines** (use it with ``CosineClsHead``).

    For a sample of class y with cosines ``cos`` (N, C) from a cosine classifier:

    * class margin ``m_C(c) = K * (n_c / n_min)^(-tau)``: normalised by the rarest class (which
      gets exactly ``K``; the most frequent gets ``K * (n_min/n_max)^tau``). The reference code
      normalises by the *last* class index instead, which equals n_min only for descending label
      orders (CIFAR-LT, not ImageNet-LT/iNat);
    * hard positive: ``argmax_j cos_j != y`` on the raw cosines of this forward pass (before the
      scale, margins and log prior); the mask carries no gradient;
    * margin ``m = m_C(y) * (1 + lambda_inst * hard * (1 - cos_y) / 2)``; it is differentiable in
      ``cos_y`` (as in the paper and its code);
    * logits: target ``s * cos(acos(clamp(cos_y)) + m)``, others ``s * cos_j``. ``cos_y`` is
      clamped to ``[-1 + eps, 1 - eps]`` inside ``acos`` only, so the loss and its gradients stay
      finite at ``cos = ±1`` (the reference code does not clamp).

    Base losses on these logits: ``'ce'`` (DBM-CE), ``'bs'`` (DBM-BS: ``log(n_c / sum n)`` added to
    every logit after the margin and scale), ``'drw'`` (DBM-DRW: CE with the class-balanced
    weights, β = ``beta``, from epoch ``drw_epoch`` on; weighted mean as ``F.cross_entropy``).

    Args:
        class_counts (list[int], optional): training images per class (filled by
            ``LongTailLossHook`` when None).
        K (float): margin of the rarest class. Defaults to 0.1.
        tau (float): exponent of the class margin. Defaults to 1.0.
        scale (float): cosine scale s (32 on CIFAR, 30 on ImageNet-LT/iNat). Defaults to 32.
        lambda_inst (float): weight of the instance margin. Defaults to 1.0.
        base (str): ``'ce'``, ``'bs'`` or ``'drw'``. Defaults to ``'ce'``.
        drw_epoch (int | None): 0-based epoch of the DRW switch (``base='drw'`` only).
            Defaults to 160.
        beta (float): effective-number β of the DRW weights. Defaults to 0.9999.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): multiplier of the loss.
        weighted_mean (bool): ``'mean'`` with DRW weights = sum(w l)/sum(w) (True, as the
            reference code) or sum(w l)/N.
        eps (float): clamp of ``cos_y`` inside ``acos``. Defaults to 1e-7.
        num_classes (int, optional): checked against ``class_counts``.
    """

    def __init__(self,
                 class_counts: CountsLike = None,
                 K: float = 0.1,
                 tau: float = 1.0,
                 scale: float = 32.0,
                 lambda_inst: float = 1.0,
                 base: str = 'ce',
                 drw_epoch: Optional[int] = 160,
                 beta: float = 0.9999,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 weighted_mean: bool = True,
                 eps: float = 1e-7,
                 num_classes: Optional[int] = None) -> None:
        super().__init__(beta=beta, drw_epoch=drw_epoch, weighted_mean=weighted_mean,
                         reduction=reduction, loss_weight=loss_weight, num_classes=num_classes)
        if base not in BASES:
            raise ValueError(f'DBMLoss: base must be one of {BASES}, got {base!r}.')
        if float(K) < 0 or float(scale) <= 0 or float(lambda_inst) < 0:
            raise ValueError(f'DBMLoss: need K >= 0, scale > 0 and lambda_inst >= 0, got K={K}, '
                             f'scale={scale}, lambda_inst={lambda_inst}.')
        if not 0 < float(eps) < 1e-2:
            raise ValueError(f'DBMLoss: eps must be in (0, 0.01), got {eps}.')
        self.K = float(K)
        self.tau = float(tau)
        self.scale = float(scale)
        self.lambda_inst = float(lambda_inst)
        self.base = base
        self.eps = float(eps)
        self.register_buffer('log_prior', torch.zeros(0), persistent=False)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    # -- count-derived buffers ----------------------------------------------------------------
    def margin_law(self):
        # m_C = K * (n_c / n_min)^-tau; a class without images never is a target: it gets K.
        return self.K, self.tau

    def _on_class_counts_set(self) -> None:
        super()._on_class_counts_set()
        if bool((self.class_counts > 0).any()):
            self.log_prior = log_class_prior(self.class_counts).to(self.class_counts.device)

    @property
    def reweighting_active(self) -> bool:
        return self.base == 'drw' and super().reweighting_active

    # -- the loss -----------------------------------------------------------------------------
    def dbm_logits(self, cos: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """The DBM logits ``s * psi`` (N, C) in float32, before any base-loss adjustment."""
        cos = cos.float()
        class_margins = self.margins(cos)
        idx = label[:, None]
        cos_y = cos.gather(1, idx).squeeze(1)
        with torch.no_grad():
            hard = (cos.argmax(dim=1) != label).to(cos.dtype)
        margin = class_margins[label] * (1.0 + self.lambda_inst * hard * (1.0 - cos_y) / 2.0)
        theta_y = torch.acos(cos_y.clamp(-1.0 + self.eps, 1.0 - self.eps))
        target = torch.cos(theta_y + margin)
        return self.scale * cos.scatter(1, idx, target[:, None])

    def per_sample_loss(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        logits = self.dbm_logits(cls_score, label)
        if self.base == 'bs':
            logits = logits + self._count_derived('log_prior', cls_score)
        return F.cross_entropy(logits, label, reduction='none')

    def extra_repr(self) -> str:
        return (f'K={self.K}, tau={self.tau}, scale={self.scale}, lambda_inst={self.lambda_inst}, '
                f'base={self.base!r}, eps={self.eps}, ' + super().extra_repr())
