"""BCL: the balanced supervised contrastive loss.

Zhu et al., Balanced Contrastive Learning for Long-Tailed Visual Recognition, CVPR 2022,
https://arxiv.org/abs/2207.09052.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.dist import get_world_size
from mmpretrain.registry import MODELS

from ..utils.dist import all_gather_with_grad
from .utils import check_numbers, check_reduction


def _class_sizes(labels: torch.Tensor, num_classes: Optional[int]) -> torch.Tensor:
    """For each entry of ``labels`` (K,), the number of entries with its label; with
    ``num_classes`` known, without a host synchronisation on an accelerator."""
    if num_classes is None:
        return (labels[:, None] == labels[None, :]).sum(0)
    counts = torch.zeros(num_classes, dtype=torch.long, device=labels.device)
    return counts.index_add_(0, labels, torch.ones_like(labels))[labels]


def balanced_contrastive_loss(features: torch.Tensor,
                              labels: torch.Tensor,
                              prototypes: Optional[torch.Tensor] = None,
                              temperature: float = 0.1,
                              class_averaging: bool = True,
                              anchors: Optional[torch.Tensor] = None,
                              reduction: str = 'mean') -> torch.Tensor:
    """The balanced supervised contrastive loss of every view of the ``anchors`` (float32).

    Args:
        features (Tensor): L2-normalised embeddings (M, V, D), V views of M instances.
        labels (Tensor): their hard labels (M,).
        prototypes (Tensor, optional): L2-normalised class prototypes (C, D), prototype c of class
            c, added to the contrast set (class-complement). None: the views only.
        temperature (float): the temperature T.
        class_averaging (bool): divide each class's sum in the denominator by the class's size in
            the contrast set (True) or not (plain supervised contrastive loss).
        anchors (Tensor, optional): indices (A,) of the instances whose views are anchors (e.g.
            this rank's rows of a gathered batch); None: all M.
        reduction (str): ``'mean'`` over the anchor views, ``'sum'``, or ``'none'``: the
            per-anchor losses (V * A,), view-major (all anchors' view 0 first).

    See :class:`BalancedSupConLoss` for the formula.
    """
    check_reduction(reduction, 'balanced_contrastive_loss')
    m, v, d = features.shape
    feats = features.float().transpose(0, 1).reshape(v * m, d)  # row k*m + i: view k of i
    labs = labels.long().repeat(v)
    if prototypes is not None:
        feats = torch.cat([feats, prototypes.float()])
        labs = torch.cat([labs, torch.arange(prototypes.size(0), device=labs.device)])
    if anchors is None:
        rows = torch.arange(v * m, device=feats.device)
    else:
        offsets = torch.arange(v, device=feats.device)[:, None] * m
        rows = (offsets + anchors.to(feats.device)[None, :]).reshape(-1)

    logits = feats[rows] @ feats.T / temperature  # (V*A, K)
    not_self = torch.ones_like(logits, dtype=torch.bool)
    not_self[torch.arange(rows.numel(), device=rows.device), rows] = False
    positive = (labs[rows, None] == labs[None, :]) & not_self
    weighted = logits
    if class_averaging:
        # |A_c(i)|: the members of class c in anchor i's contrast set (its own class without i)
        sizes = _class_sizes(labs, None if prototypes is None else prototypes.size(0))
        weighted = logits - (sizes[None, :] - positive.long()).float().log()
    log_denominator = torch.logsumexp(weighted.masked_fill(~not_self, float('-inf')), dim=1)
    log_prob = logits - log_denominator[:, None]
    loss = -(log_prob * positive).sum(1) / positive.sum(1)
    if reduction == 'mean':
        return loss.mean()
    return loss.sum() if reduction == 'sum' else loss


@MODELS.register_module()
class BalancedSupConLoss(nn.Module):
    r"""The balanced supervised contrastive loss of BCL (class-averaging + class-complement).

    Anchors are the V views of each instance of the batch (embeddings L2-normalised); anchor i of
    class y has the contrast set A(i): every other view of the batch and, with class-complement,
    one prototype per class (every class is present in every batch). With A_c(i) the members of
    class c in A(i) and P(i) = A_y(i) its positives (the other views of class y, and y's
    prototype)

    .. math::

        L_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)} \log \frac{\exp(z_i \cdot z_p / T)}
              {\sum_c \frac{1}{|A_c(i)|} \sum_{k \in A_c(i)} \exp(z_i \cdot z_k / T)}

    (class-averaging: each class's sum divided by its size, ``|A_c(i)| = V n_c + 1`` for another
    class, ``V n_y`` for the anchor's own class, n_c being the instances of class c in the batch;
    without it the plain supervised contrastive loss of Khosla et al.). The loss is the mean of
    ``L_i`` over the anchors. This is the released code's ``BalSCL`` (its ``per_ins_weight =
    batch_cls_count[target] - mask``), written with ``logsumexp`` instead of its max-shift.

    **DDP.** With ``gather_distributed=True`` (default) the embeddings and labels of all ranks are
    gathered, with gradients flowing back to each rank's own part: every rank's anchors (its own
    views) meet the global contrast set, and its loss is the mean over its own anchors. After DDP's
    averaging of parameter gradients, R processes with batch B each train exactly as one process
    with batch R*B (the logged loss is the mean of the per-rank values). The prototypes are
    computed on every rank from the same weights and are not gathered. The gather costs one host
    synchronisation per step (the per-rank batch sizes); the loss itself has none.

    Args:
        temperature (float): the temperature T. Defaults to 0.1 (the DBM code's BCL loss; the
            released BCL code's ImageNet-LT/iNat default is 0.07).
        class_averaging (bool): the class-averaged denominator. False: plain SupCon (ablation).
        class_complement (bool): class prototypes in every contrast set (:attr:`uses_prototypes`).
            False: the views only (ablation); every instance then needs V >= 2 views.
        gather_distributed (bool): contrast with the whole DDP batch (see above). Defaults to True.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'`` (see
            :func:`balanced_contrastive_loss`).
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 class_averaging: bool = True,
                 class_complement: bool = True,
                 gather_distributed: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        check_numbers('BalancedSupConLoss', temperature=temperature, loss_weight=loss_weight)
        if float(temperature) <= 0:
            raise ValueError(f'BalancedSupConLoss: temperature must be positive, got '
                             f'{temperature}.')
        self.temperature = float(temperature)
        self.class_averaging = bool(class_averaging)
        self.class_complement = bool(class_complement)
        self.gather_distributed = bool(gather_distributed)
        self.reduction = check_reduction(reduction, 'BalancedSupConLoss')
        self.loss_weight = float(loss_weight)

    @property
    def uses_prototypes(self) -> bool:
        """Whether :meth:`forward` needs the class prototypes (class-complement)."""
        return self.class_complement

    def forward(self, features: torch.Tensor, labels: torch.Tensor,
                prototypes: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of the views ``features`` (N, V, D) labelled ``labels`` (N,), with
        ``prototypes`` (C, D) when :attr:`uses_prototypes`; all embeddings L2-normalised."""
        self._check(features, labels, prototypes)
        anchors = None
        if self.gather_distributed and get_world_size() > 1:
            (features, all_labels), offset = all_gather_with_grad(features, labels)
            anchors = torch.arange(offset, offset + labels.numel(), device=labels.device)
            labels = all_labels
        return self.loss_weight * balanced_contrastive_loss(
            features, labels, prototypes if self.class_complement else None, self.temperature,
            self.class_averaging, anchors, self.reduction)

    def _check(self, features, labels, prototypes) -> None:
        name = 'BalancedSupConLoss'
        if features.dim() != 3:
            raise ValueError(f'{name}: features must be (N, views, dim), got shape '
                             f'{tuple(features.shape)}.')
        if labels.dim() != 1 or labels.is_floating_point() or labels.numel() != features.size(0):
            raise ValueError(f'{name} needs hard integer labels of shape ({features.size(0)},), '
                             f'got a {labels.dtype} tensor of shape {tuple(labels.shape)}. Soft '
                             'labels (e.g. from Mixup/CutMix batch augments) are not supported.')
        if self.class_complement:
            if prototypes is None:
                raise ValueError(f'{name}: class_complement=True needs the class prototypes '
                                 '(C, dim); pass them, or set class_complement=False.')
            if prototypes.dim() != 2 or prototypes.size(1) != features.size(2):
                raise ValueError(f'{name}: prototypes must be (num_classes, '
                                 f'{features.size(2)}), got {tuple(prototypes.shape)}.')
        elif features.size(1) < 2:
            raise ValueError(f'{name}: without class_complement every instance needs at least '
                             f'2 views (its positives), got {features.size(1)}.')

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, class_averaging={self.class_averaging}, '
                f'class_complement={self.class_complement}, '
                f'gather_distributed={self.gather_distributed}, reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
