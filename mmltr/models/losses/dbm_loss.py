"""DBM: the difficulty-aware balancing margin loss.

Son et al., Difficulty-aware Balancing Margin Loss for Long-tailed Recognition, AAAI 2025,
https://arxiv.org/abs/2412.15477.
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
    log_class_prior,
    rarity_margins,
    reduce_class_weighted,
)

BASES = ('ce', 'bs', 'drw')


def dbm_logits(cos: torch.Tensor,
               label: torch.Tensor,
               class_margins: torch.Tensor,
               scale: float = 32.0,
               lambda_inst: float = 1.0,
               eps: float = 1e-7) -> torch.Tensor:
    """The DBM logits ``s * psi`` (N, C) in float32, before any base-loss adjustment.

    See :class:`DBMLoss` for the formulas; ``class_margins`` are the class margins ``m_C`` (C,).
    """
    cos = cos.float()
    idx = label[:, None]
    cos_y = cos.gather(1, idx).squeeze(1)
    with torch.no_grad():
        hard = (cos.argmax(dim=1) != label).to(cos.dtype)
    margin = class_margins[label] * (1.0 + lambda_inst * hard * (1.0 - cos_y) / 2.0)
    theta_y = torch.acos(cos_y.clamp(-1.0 + eps, 1.0 - eps))
    target = torch.cos(theta_y + margin)
    return scale * cos.scatter(1, idx, target[:, None])


def dbm_loss(cos: torch.Tensor,
             label: torch.Tensor,
             class_margins: torch.Tensor,
             log_prior: Optional[torch.Tensor] = None,
             class_weight: Optional[torch.Tensor] = None,
             scale: float = 32.0,
             lambda_inst: float = 1.0,
             eps: float = 1e-7,
             weight: Optional[torch.Tensor] = None,
             reduction: str = 'mean',
             avg_factor: Optional[float] = None,
             weighted_mean: bool = True) -> torch.Tensor:
    """Cross-entropy on :func:`dbm_logits` (+ ``log_prior``), reduced with class weights.

    Args:
        cos (Tensor): raw cosines (N, C).
        label (Tensor): hard labels (N,).
        class_margins (Tensor): class margins ``m_C`` (C,), see :func:`rarity_margins`.
        log_prior (Tensor, optional): ``log(n_c / sum n)`` (C,) added to every logit (DBM-BS).
        class_weight (Tensor, optional): per-class weights (C,) (DBM-DRW); None = all ones.
        scale, lambda_inst, eps: see :class:`DBMLoss`.
        weight, reduction, avg_factor, weighted_mean: see :func:`reduce_class_weighted`.
    """
    logits = dbm_logits(cos, label, class_margins, scale, lambda_inst, eps)
    if log_prior is not None:
        logits = logits + log_prior
    loss = F.cross_entropy(logits, label, reduction='none')
    return reduce_class_weighted(loss, label, class_weight, weight, reduction, avg_factor,
                                 weighted_mean)


@MODELS.register_module()
class DBMLoss(CountAwareLoss):
    r"""Difficulty-aware balancing margin loss on **raw cosines** (use it with ``CosineClsHead``).

    For a sample of class y with cosines ``cos`` (N, C) from a cosine classifier:

    * class margin ``m_C(c) = K * (n_c / n_min)^(-tau)``: normalised by the rarest class (which
      gets exactly ``K``; the most frequent gets ``K * (n_min/n_max)^tau``; a class without
      images, never a target, gets ``K``). The reference code normalises by the *last* class
      index instead, which equals n_min only for descending label orders (CIFAR-LT, not
      ImageNet-LT/iNat);
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
    The first forward checks that the scores are cosines (one device sync).

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

    #: ``CosineClsHead`` hands this loss raw cosines instead of ``scale * cos``.
    expects_cosine = True

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
        check_numbers('DBMLoss', K=K, tau=tau, scale=scale, lambda_inst=lambda_inst, eps=eps,
                      loss_weight=loss_weight)
        if base not in BASES:
            raise ValueError(f'DBMLoss: base must be one of {BASES}, got {base!r}.')
        if float(K) < 0 or float(scale) <= 0 or float(lambda_inst) < 0:
            raise ValueError(f'DBMLoss: need K >= 0, scale > 0 and lambda_inst >= 0, got K={K}, '
                             f'scale={scale}, lambda_inst={lambda_inst}.')
        if float(tau) < 0:
            raise ValueError(f'DBMLoss: tau must be >= 0 (the rarest class gets the largest '
                             f'margin K; tau < 0 would give it to the most frequent), got {tau}.')
        if not 0 < float(eps) < 1e-2:
            raise ValueError(f'DBMLoss: eps must be in (0, 0.01), got {eps}.')
        super().__init__(num_classes, reduction, loss_weight)
        self._input_checked = False  # the first forward checks that the scores are cosines
        self.K = float(K)
        self.tau = float(tau)
        self.scale = float(scale)
        self.lambda_inst = float(lambda_inst)
        self.base = base
        self.beta, self.drw_epoch = check_reweighting(beta, drw_epoch, 'DBMLoss')
        self.weighted_mean = bool(weighted_mean)
        self.eps = float(eps)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    @property
    def uses_epochs(self) -> bool:
        return self.base == 'drw' and self.beta is not None and self.drw_epoch not in (None, 0)

    def _derive(self) -> dict:
        counts = self.class_counts
        tables = dict(class_margins=rarity_margins(counts, self.K, self.tau))
        if self.base == 'bs':
            tables['log_prior'] = log_class_prior(counts)
        elif self.base == 'drw' and self.beta is not None:
            tables['cb_weights'] = class_balanced_weights(counts, self.beta)
        return tables

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        label = check_hard_labels(label, cls_score, 'DBMLoss')
        if not self._input_checked:
            check_cosine_scores(cls_score, 'DBMLoss')
            self._input_checked = True
        margins = self._table('class_margins', cls_score)  # checks the counts
        log_prior = self.log_prior.to(cls_score.device) if self.base == 'bs' else None
        drw = self.base == 'drw' and drw_active(self.beta, self.drw_epoch, self.epoch)
        return self.loss_weight * dbm_loss(
            cls_score, label, margins, log_prior, self.cb_weights.to(cls_score) if drw else None,
            self.scale, self.lambda_inst, self.eps, weight, self._reduction(reduction_override),
            avg_factor, self.weighted_mean)

    def extra_repr(self) -> str:
        return (f'K={self.K}, tau={self.tau}, scale={self.scale}, lambda_inst={self.lambda_inst}, '
                f'base={self.base!r}, eps={self.eps}, beta={self.beta}, '
                f'drw_epoch={self.drw_epoch}, weighted_mean={self.weighted_mean}, '
                f'reduction={self.reduction!r}, loss_weight={self.loss_weight}')
