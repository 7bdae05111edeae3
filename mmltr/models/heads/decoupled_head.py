"""The linear classifier of decoupled training: LWS scales and τ-normalisation.

Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition, ICLR 2020,
https://arxiv.org/abs/1910.09217:

* **LWS** (learnable weight scaling): logits ``s_c * (W_c . f + b_c)`` with one learnt scale per
  class; with ``train_weights=False`` only the scales are learnt (the classifier of the stage-1
  checkpoint is kept as it is).
* **τ-normalisation**: ``W_c / ||W_c||^τ`` replaces every class's weight vector, which evens out
  the norms the long tail gave them (τ = 0: unchanged, τ = 1: all norms 1). The bias is kept
  (MMPretrain's ``TauNormHook`` does the same), so τ = 0 is exactly the trained model.

MiSLAS (Zhong et al., Improving Calibration for Long-Tailed Recognition, CVPR 2021,
https://arxiv.org/abs/2104.00466) and Difficulty-Net's second stage train the classifier together
with the LWS scales (``scales=True, train_weights=True``) under label-aware smoothing.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS


def tau_normalize(weight: torch.Tensor, tau: float) -> torch.Tensor:
    """``W_c / ||W_c||_2^tau`` for every row ``W_c`` of ``weight`` (C, D).

    A zero row stays zero (its norm is treated as 1).
    """
    norms = weight.norm(p=2, dim=1, keepdim=True)
    norms = torch.where(norms > 0, norms, torch.ones_like(norms))
    return weight / norms.pow(float(tau))


def decoupled_logits(feats: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                     scales: Optional[torch.Tensor] = None, tau: float = 0.0) -> torch.Tensor:
    """``scales * (feats @ tau_normalize(weight, tau).T + bias)`` (each part optional)."""
    w = tau_normalize(weight, tau) if tau else weight
    logits = F.linear(feats, w, bias)
    return logits * scales if scales is not None else logits


def check_tau(tau, owner: str) -> float:
    """``tau`` as a float, or a ``ValueError`` naming ``owner``: a finite number >= 0."""
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not tau >= 0 \
            or tau == float('inf'):
        raise ValueError(f'{owner}: tau must be a finite number >= 0 (0 = no '
                         f'τ-normalisation), got {tau!r}.')
    return float(tau)


@MODELS.register_module()
class DecoupledClsHead(LinearClsHead):
    """``LinearClsHead`` with per-class learnable logit scales and test-time τ-normalisation.

    Its ``fc`` is a ``LinearClsHead``'s, so it loads a stage-1 ``LinearClsHead`` checkpoint as is
    (``scales`` start at 1), and with the default arguments it computes exactly what
    ``LinearClsHead`` does. Training always uses the raw weights; ``tau`` applies whenever the head
    is in eval mode (validation, testing, ``tools/test.py``, ``tools/analysis/tau_norm.py``), e.g.
    ``tools/test.py CONFIG CKPT --cfg-options model.head.type=DecoupledClsHead model.head.tau=0.8``
    on a ``LinearClsHead`` model.

    Args:
        num_classes (int): number of classes.
        in_channels (int): feature dimension.
        scales (bool): learn one logit scale per class (LWS; MiSLAS). Defaults to False.
        train_weights (bool): whether ``fc`` is trained. False (LWS) sets ``requires_grad=False``
            on its weight and bias when the head is built, so only the scales are learnt.
            Defaults to True.
        tau (float): τ of the τ-normalisation applied in eval mode; 0 (default) = none.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg`` of ``LinearClsHead``.
    """

    def __init__(self, num_classes: int, in_channels: int, scales: bool = False,
                 train_weights: bool = True, tau: float = 0.0, **kwargs) -> None:
        super().__init__(num_classes=num_classes, in_channels=in_channels, **kwargs)
        if not scales and not train_weights:
            raise ValueError('DecoupledClsHead: scales=False and train_weights=False leave '
                             'nothing to train: set scales=True (LWS) or train_weights=True.')
        self.tau = check_tau(tau, 'DecoupledClsHead')
        self.train_weights = bool(train_weights)
        if scales:
            self.scales = nn.Parameter(torch.ones(num_classes))
        else:
            self.register_parameter('scales', None)
        for p in self.fc.parameters():
            p.requires_grad_(self.train_weights)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Logits ``scales * (W f + b)``; in eval mode with ``W`` τ-normalised."""
        tau = 0.0 if self.training else self.tau
        return decoupled_logits(self.pre_logits(feats), self.fc.weight, self.fc.bias,
                                self.scales, tau)

    def extra_repr(self) -> str:
        return (f'scales={self.scales is not None}, train_weights={self.train_weights}, '
                f'tau={self.tau}')
