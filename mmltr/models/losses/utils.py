"""Plain functions shared by mmltr's losses: input checks, count-derived tables, the reduction.

Count-derived tables (all from the training images per class ``n_c``):

* :func:`log_class_prior`: ``log(n_c / sum n)`` (Balanced Softmax, DBM-BS);
* :func:`rarity_margins`: ``largest * (n_c / n_min)^(-power)`` (LDAM, DBM);
* :func:`class_balanced_weights`: the effective-number weights (class-balanced losses, DRW).

Reduction with class weights (:func:`reduce_class_weighted`, ``reduction='mean'``)
--------------------------------------------------------------------------------------
With class weight ``c_i = w[y_i]``, per-sample weight ``w_i`` (1 when not given) and per-sample
loss ``l_i``:

* ``weighted_mean=True`` (default): MMPretrain's ``sum_i c_i w_i l_i / avg_factor`` divided by
  the batch's mean class weight ``sum_i c_i w_i / sum_i w_i``, i.e.
  ``sum_i c_i w_i l_i / sum_i c_i w_i * (sum_i w_i / avg_factor)``. With no per-sample weights and
  ``avg_factor`` = N (what ``ClsHead`` passes) or None this is exactly
  ``F.cross_entropy(logits, y, weight=c)``, the weighted mean ``sum_i c_i l_i / sum_i c_i`` that
  the LDAM-DRW and DBM reference codes optimise; whenever all class weights are 1 (e.g. DRW before
  its switch epoch) it is exactly MMPretrain's ``weight_reduce_loss``.
* ``weighted_mean=False``: MMPretrain's ``CrossEntropyLoss(class_weight=...)`` semantics,
  ``sum_i c_i w_i l_i / avg_factor`` (``avg_factor`` = batch size from ``ClsHead``). The loss scale
  then drifts with the batch's class mix (larger when a batch holds many tail samples).

``'sum'`` and ``'none'`` never normalise by the weights (``'none'`` returns ``c_i w_i l_i``).
"""
import numbers
from typing import Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models.losses.utils import weight_reduce_loss

CountsLike = Union[Sequence[int], torch.Tensor, None]
REDUCTIONS = ('none', 'mean', 'sum')


# -- argument and input checks ----------------------------------------------------------------
def check_reduction(reduction: str, loss_name: str) -> str:
    """``reduction`` if it is one of ``'none'``, ``'mean'``, ``'sum'``, else a ``ValueError``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f'{loss_name}: reduction must be one of {REDUCTIONS}, got '
                         f'{reduction!r}.')
    return reduction


def check_numbers(loss_name: str, **values) -> None:
    """A ``TypeError`` naming the first argument in ``values`` that is not a real number (None and
    ``bool`` are refused too, e.g. ``K='abc'`` or ``gamma='0.8'`` from a config)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f'{loss_name}: {name} must be a number, got {value!r} of type '
                            f'{type(value).__name__}.')


def check_reweighting(beta: Optional[float], drw_epoch: Optional[int],
                      loss_name: str) -> Tuple[Optional[float], Optional[int]]:
    """``(beta, drw_epoch)`` as float/int (None kept) after checking them: the effective-number
    β lies in [0, 1), the DRW switch epoch is a non-negative int."""
    if beta is not None and not 0.0 <= float(beta) < 1.0:
        raise ValueError(f'{loss_name}: beta must be in [0, 1) or None, got {beta}.')
    if drw_epoch is not None and (isinstance(drw_epoch, bool) or int(drw_epoch) != drw_epoch
                                  or drw_epoch < 0):
        raise ValueError(f'{loss_name}: drw_epoch must be a non-negative int or None, got '
                         f'{drw_epoch!r}.')
    return (None if beta is None else float(beta),
            None if drw_epoch is None else int(drw_epoch))


def check_hard_labels(label: torch.Tensor, cls_score: torch.Tensor, loss_name: str) -> torch.Tensor:
    """Return ``label`` as a 1-D long tensor, or raise a clear error for soft/bad labels.

    Shape and dtype are checked always; the value range only for CPU tensors (no device sync).
    """
    if label.dim() != 1 or label.is_floating_point():
        raise ValueError(
            f'{loss_name} needs hard integer labels of shape (N,), got a {label.dtype} tensor of '
            f'shape {tuple(label.shape)}. Soft labels (e.g. from Mixup/CutMix batch augments) are '
            f'not supported by this loss: remove `train_cfg.augments` or use CrossEntropyLoss.')
    if label.numel() != cls_score.size(0):
        raise ValueError(f'{loss_name}: {label.numel()} labels for {cls_score.size(0)} scores.')
    # The range check reads values, a host sync on an accelerator: do it for CPU tensors only
    # (on CUDA an out-of-range label still trips the gather/cross-entropy kernel's own assert).
    if label.numel() and label.device.type == 'cpu' and (
            int(label.min()) < 0 or int(label.max()) >= cls_score.size(1)):
        raise ValueError(f'{loss_name}: labels must lie in [0, {cls_score.size(1) - 1}], got '
                         f'[{int(label.min())}, {int(label.max())}].')
    return label.long()


def check_cosine_scores(cos: torch.Tensor, loss_name: str, tol: float = 1e-3) -> None:
    """Raise a clear error when a loss that expects raw cosines (DBM, LDAM) gets logits.

    Costs one device sync, so losses call it on their first forward only.
    """
    if cos.numel() and float(cos.detach().abs().max()) > 1.0 + tol:
        raise ValueError(
            f'{loss_name} expects raw cosine similarities in [-1, 1] (it applies its own scale and '
            f'margins), got scores up to {float(cos.detach().abs().max()):.3g}. Use it with '
            "CosineClsHead (which hands raw cosines to losses with `expects_cosine = True`).")


# -- tables derived from the class counts -------------------------------------------------------
def log_class_prior(class_counts: torch.Tensor) -> torch.Tensor:
    """log(n_c / sum n) as float32; a class without training images counts as one image."""
    counts = class_counts.double().clamp_min(1.0)
    return torch.log(counts / counts.sum()).float()


def rarity_margins(class_counts: torch.Tensor, largest: float, power: float) -> torch.Tensor:
    """Per-class margins ``largest * (n_c / n_min)^(-power)`` (C,) in float32.

    ``n_min`` is the smallest non-zero count, so the rarest class gets ``largest``; a class without
    training images (never a target) gets ``largest`` too. Needs at least one non-zero count.
    """
    counts = class_counts.double()
    n_min = counts[counts > 0].min()
    ratio = torch.where(counts > 0, counts / n_min, torch.ones_like(counts))
    return (largest * ratio.pow(-power)).float()


def class_balanced_weights(class_counts: torch.Tensor, beta: float) -> torch.Tensor:
    """Effective-number weights w_c ∝ (1-β)/(1-β^{n_c}), normalised to Σ_c w_c = C.

    Cui et al., Class-Balanced Loss Based on Effective Number of Samples, CVPR 2019,
    https://arxiv.org/abs/1901.05555. ``beta=0`` gives uniform weights (all ones). Classes with
    zero images get weight 0 before the normalisation (they never appear as a target).
    """
    counts = class_counts.double()
    if not 0.0 <= beta < 1.0:
        raise ValueError(f'beta must be in [0, 1), got {beta}.')
    eff = 1.0 - torch.pow(torch.full_like(counts, beta), counts)
    w = torch.where(counts > 0, (1.0 - beta) / eff.clamp_min(1e-12), torch.zeros_like(counts))
    return (w / w.sum() * counts.numel()).float()


def drw_active(beta: Optional[float], drw_epoch: Optional[int], epoch: int) -> bool:
    """Whether the class-balanced weights apply in ``epoch`` (deferred re-weighting, DRW).

    They do from the 0-based epoch ``drw_epoch`` on (0 = always) when ``beta`` is set; never when
    ``beta`` or ``drw_epoch`` is None. Cao et al., Learning Imbalanced Datasets with
    Label-Distribution-Aware Margin Loss, NeurIPS 2019, https://arxiv.org/abs/1906.07413.
    """
    return beta is not None and drw_epoch is not None and epoch >= drw_epoch


# -- reduction ---------------------------------------------------------------------------------
def reduce_class_weighted(loss: torch.Tensor,
                          label: torch.Tensor,
                          class_weight: Optional[torch.Tensor] = None,
                          weight: Optional[torch.Tensor] = None,
                          reduction: str = 'mean',
                          avg_factor: Optional[float] = None,
                          weighted_mean: bool = True) -> torch.Tensor:
    """Reduce the per-sample ``loss`` (N,) of samples labelled ``label`` (N,).

    See the module docstring for the formulas. ``weight`` is MMPretrain's per-sample weight and
    ``avg_factor`` its normaliser for ``'mean'`` (``'sum'`` with ``avg_factor`` raises, as in
    ``weight_reduce_loss``). Without ``class_weight`` this is ``weight_reduce_loss``.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}.')
    if weight is not None:
        weight = weight.to(loss.dtype)
        if weight.dim() > 1:
            weight = weight.reshape(-1)
        if weight.numel() != loss.numel():
            raise ValueError(f'weight has {weight.numel()} entries for {loss.numel()} samples.')
    cw = None
    if class_weight is not None:
        cw = class_weight.to(loss)[label]
        loss = loss * cw
    out = weight_reduce_loss(loss, weight=weight, reduction=reduction, avg_factor=avg_factor)
    if reduction == 'mean' and cw is not None and weighted_mean:
        w = weight if weight is not None else torch.ones_like(cw)
        # divide by the batch's (w-weighted) mean class weight sum(c w) / sum(w)
        out = out * (w.sum() / (cw * w).sum().clamp_min(torch.finfo(loss.dtype).tiny))
    return out
