"""Label-aware smoothing (LAS), the stage-2 loss of MiSLAS and of Difficulty-Net's second stage.

Zhong et al., Improving Calibration for Long-Tailed Recognition, CVPR 2021,
https://arxiv.org/abs/2104.00466. The smoothing factor of a class falls from ``eps_head`` on the
most frequent class to ``eps_tail`` on the rarest one; with
``d_c = (n_c - n_min) / (n_max - n_min)``:

* ``'concave'`` (the paper's): ``eps_c = eps_tail + (eps_head - eps_tail) * sin(pi d_c / 2)``;
* ``'linear'``: ``eps_c = eps_tail + (eps_head - eps_tail) * d_c``;
* ``'convex'``: ``eps_c = eps_head + (eps_head - eps_tail) * sin(3 pi / 2 + pi d_c / 2)``.

The loss of a sample of class ``y`` is the cross-entropy against the smoothed target
``(1 - eps_y) one_hot(y) + eps_y / C``: ``(1 - eps_y) * (-log p_y) + eps_y * mean_j(-log p_j)``.
"""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .count_aware_loss import CountAwareLoss
from .utils import CountsLike, check_hard_labels, check_numbers, reduce_class_weighted

SHAPES = ('concave', 'linear', 'convex')


def label_aware_epsilons(class_counts: torch.Tensor, eps_head: float, eps_tail: float,
                         shape: str = 'concave') -> torch.Tensor:
    """The smoothing factor of every class (float64, shape (C,)) from its training images.

    When every class has the same number of images (``n_max == n_min``) every class is a head
    class and gets ``eps_head``.
    """
    if shape not in SHAPES:
        raise ValueError(f'label_aware_epsilons: shape must be one of {SHAPES}, got {shape!r}.')
    n = torch.as_tensor(class_counts, dtype=torch.float64)
    n_max, n_min = n.max(), n.min()
    if n_max == n_min:
        return torch.full_like(n, float(eps_head))
    d = (n - n_min) / (n_max - n_min)
    if shape == 'concave':
        return eps_tail + (eps_head - eps_tail) * torch.sin(math.pi * d / 2)
    if shape == 'linear':
        return eps_tail + (eps_head - eps_tail) * d
    return eps_head + (eps_head - eps_tail) * torch.sin(1.5 * math.pi + math.pi * d / 2)


def label_aware_smoothing_loss(cls_score: torch.Tensor, label: torch.Tensor,
                               epsilons: torch.Tensor, **reduce_kwargs) -> torch.Tensor:
    """``(1 - eps_y) * (-log p_y) + eps_y * mean_j(-log p_j)`` per sample (computed in float32),
    reduced.

    Args:
        cls_score (Tensor): logits (N, C) of the samples labelled ``label`` (N,).
        epsilons (Tensor): the smoothing factor of every class (C,), see
            :func:`label_aware_epsilons`.
        **reduce_kwargs: ``weight``, ``reduction`` (default ``'mean'``) and ``avg_factor``, as in
            MMPretrain's losses (:func:`mmltr.models.losses.reduce_class_weighted`).
    """
    log_p = F.log_softmax(cls_score.float(), dim=1)
    eps = epsilons.to(log_p)[label]
    nll = -log_p.gather(1, label[:, None]).squeeze(1)
    loss = (1 - eps) * nll - eps * log_p.mean(dim=1)
    return reduce_class_weighted(loss, label, **reduce_kwargs)


@MODELS.register_module()
class LabelAwareSmoothingLoss(CountAwareLoss):
    """Label-aware smoothing: cross-entropy with a per-class smoothing factor (see the module).

    The class counts come from the training set through ``LongTailLossHook`` (or
    ``class_counts``), like the other count-aware losses; the per-class factors are derived from
    them and cached (``epsilons``). MiSLAS's choices of ``(eps_head, eps_tail)``: CIFAR-LT
    (0.4, 0.0) for IF > 100, (0.4, 0.1) for 50 < IF <= 100, (0.3, 0.0) for 20 < IF <= 50 and
    (0.2, 0.0) otherwise; ImageNet-LT (0.3, 0.0); Places-LT (0.4, 0.1).

    Args:
        eps_head (float): smoothing of the most frequent class, in [0, 1].
        eps_tail (float): smoothing of the rarest class, in [0, 1].
        shape (str): ``'concave'`` (default, the paper's), ``'linear'`` or ``'convex'``.
        class_counts (list[int], optional): as for every :class:`CountAwareLoss`: the training
            images per class, or None to have ``LongTailLossHook`` fill them from the training
            set; ``reduction``, ``loss_weight`` and ``num_classes`` are the base class's too.
    """

    def __init__(self,
                 eps_head: float = 0.4,
                 eps_tail: float = 0.0,
                 shape: str = 'concave',
                 class_counts: CountsLike = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 num_classes: Optional[int] = None) -> None:
        super().__init__(num_classes, reduction, loss_weight)
        check_numbers(type(self).__name__, eps_head=eps_head, eps_tail=eps_tail)
        for name, value in (('eps_head', eps_head), ('eps_tail', eps_tail)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'LabelAwareSmoothingLoss: {name} must be in [0, 1], got '
                                 f'{value}.')
        if shape not in SHAPES:
            raise ValueError(f'LabelAwareSmoothingLoss: shape must be one of {SHAPES}, got '
                             f'{shape!r}.')
        self.eps_head, self.eps_tail, self.shape = float(eps_head), float(eps_tail), shape
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _derive(self) -> dict:
        return dict(epsilons=label_aware_epsilons(self.class_counts, self.eps_head, self.eps_tail,
                                                  self.shape))

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, weight=None, avg_factor=None,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        """The loss of ``cls_score`` (N, C) and hard labels (N,); ``weight``, ``avg_factor`` and
        ``reduction_override`` as in MMPretrain's losses."""
        epsilons = self._table('epsilons', cls_score)
        loss = label_aware_smoothing_loss(
            cls_score, check_hard_labels(label, cls_score, type(self).__name__), epsilons,
            weight=weight, reduction=self._reduction(reduction_override), avg_factor=avg_factor)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'eps_head={self.eps_head}, eps_tail={self.eps_tail}, shape={self.shape!r}, '
                f'reduction={self.reduction!r}, loss_weight={self.loss_weight}')
