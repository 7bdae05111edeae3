"""Difficulty-Net: an MLP that maps per-class accuracy to per-class difficulty.

Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed Recognition,
WACV 2023, https://arxiv.org/abs/2209.02960. As in the paper and the authors' code:

* input: the per-class accuracy vector a ∈ [0, 1]^C of the current model on a small balanced
  held-out set (a = 0 before the first epoch);
* MLP C → H → H → C with ReLU and a sigmoid output: predicted difficulty d ∈ (0, 1)^C
  (CIFAR: H = 128 without biases; ImageNet-LT H = 1024, Places-LT H = 512, with biases);
* class weights w_c = C · d_c / Σ_j d_j (mean 1), per-sample weight w_{y_i};
* relative difficulty target d*_c = 1 − a_c / (Σ_j a_j + 1e-12) and driver loss MSE(d, d*), weighted
  by λ = 0.3 in the meta loss.

The meta-learning step that trains this network lives in
:class:`mmltr.models.classifiers.DifficultyNetClassifier`.
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def relative_difficulty(class_acc: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """d*_c = 1 − a_c / (Σ_j a_j + eps): the driver loss target (no gradient)."""
    a = class_acc.detach().float()
    return 1.0 - a / (a.sum(dim=-1, keepdim=True) + eps)


def driver_loss(difficulty: torch.Tensor, class_acc: torch.Tensor) -> torch.Tensor:
    """MSE(d, d*) averaged over the classes (the paper's driver loss, before the weight λ)."""
    target = relative_difficulty(class_acc).to(difficulty.dtype)
    return F.mse_loss(difficulty, target.expand_as(difficulty))


def difficulty_to_weights(difficulty: torch.Tensor) -> torch.Tensor:
    """w_c = C · d_c / Σ_j d_j (mean 1 over the classes)."""
    num_classes = difficulty.size(-1)
    return difficulty * num_classes / difficulty.sum(dim=-1, keepdim=True)


@MODELS.register_module()
class DifficultyNet(nn.Module):
    """Difficulty-Net MLP: per-class accuracy (C,) → per-class difficulty (C,) in (0, 1).

    Args:
        num_classes (int): C, the input and output size.
        hidden_dims (Sequence[int]): hidden layer widths, ``(128, 128)`` on CIFAR (the authors'
            ``VNet(C, 128, 128, C)``), ``(1024, 1024)`` on ImageNet-LT, ``(512, 512)`` on Places-LT.
        bias (bool): whether the linear layers have biases (False on CIFAR, True on the large-scale
            datasets). Note that without biases a = 0 (the first epoch) gives d = 0.5 for every
            class (uniform weights) and zero gradients, exactly as in the authors' CIFAR code.
    """

    def __init__(self, num_classes: int, hidden_dims: Sequence[int] = (128, 128),
                 bias: bool = False) -> None:
        super().__init__()
        if int(num_classes) < 1:
            raise ValueError(f'DifficultyNet: num_classes must be >= 1, got {num_classes}.')
        hidden_dims = tuple(int(h) for h in hidden_dims)
        if not hidden_dims or min(hidden_dims) < 1:
            raise ValueError(f'DifficultyNet: hidden_dims must be positive, got {hidden_dims}.')
        self.num_classes = int(num_classes)
        self.hidden_dims = hidden_dims
        layers = []
        dims = (self.num_classes, ) + hidden_dims
        for d_in, d_out in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(d_in, d_out, bias=bias), nn.ReLU(inplace=True)]
        layers += [nn.Linear(dims[-1], self.num_classes, bias=bias), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, class_acc: torch.Tensor) -> torch.Tensor:
        """Predicted difficulty d ∈ (0, 1)^C for an accuracy vector (C,) or a batch (N, C)."""
        if class_acc.size(-1) != self.num_classes:
            raise ValueError(f'DifficultyNet expects {self.num_classes} per-class accuracies, got '
                             f'a tensor of shape {tuple(class_acc.shape)}.')
        weight = self.net[0].weight
        return self.net(class_acc.to(device=weight.device, dtype=weight.dtype))

    def class_weights(self, class_acc: torch.Tensor) -> torch.Tensor:
        """Class weights w = C · d / Σd (mean 1) for the accuracy vector ``class_acc``."""
        return difficulty_to_weights(self(class_acc))

    def driver_loss(self, class_acc: torch.Tensor) -> torch.Tensor:
        """MSE between the predicted and the relative difficulty (without the weight λ)."""
        return driver_loss(self(class_acc), class_acc)
