"""The CIFAR ResNet of long-tailed recognition (ResNet-20/32/44/56/110, option-A shortcuts).

MMPretrain's ``ResNet_CIFAR`` only has the ImageNet depths (18/34/50/...) with 1x1-conv
(option-B) shortcuts. LTR papers (LDAM-DRW, BBN, RIDE, PaCo, DBM, ...) all use He et al.'s
original CIFAR ResNet instead: a 3x3 stem with 16 channels, three stages of ``n`` BasicBlocks with
16/32/64 channels and strides 1/2/2, and parameter-free *option-A* shortcuts (subsample by 2 and
zero-pad the new channels). ResNet-32 (``n = 5``) has 463,504 parameters without its classifier
(464,154 with a 10-way linear layer, the "0.46M" of the papers).
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm


class OptionAShortcut(nn.Module):
    """Parameter-free shortcut: spatial subsampling by ``stride`` and zero-padded channels.

    For the standard widths (``out_channels == 2 * in_channels``) this is exactly LDAM-DRW's
    ``F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))``: the input channels sit in
    the middle, with ``planes // 4`` zero channels on each side.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f'An option-A shortcut cannot reduce channels ({in_channels} -> '
                             f'{out_channels}).')
        self.stride = stride
        extra = out_channels - in_channels
        self.pad_front = extra // 2
        self.pad_back = extra - self.pad_front

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.pad_front or self.pad_back:
            x = F.pad(x, (0, 0, 0, 0, self.pad_front, self.pad_back), 'constant', 0.)
        return x

    def extra_repr(self) -> str:
        return f'stride={self.stride}, pad=({self.pad_front}, {self.pad_back})'


class CifarBasicBlock(nn.Module):
    """3x3 conv-BN-ReLU, 3x3 conv-BN, + shortcut, ReLU (LDAM-DRW's ``BasicBlock``, option A)."""

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = OptionAShortcut(in_channels, out_channels, stride)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.shortcut(x)
        return F.relu(out)


@MODELS.register_module()
class ResNet32_CIFAR(BaseModule):
    """He et al.'s CIFAR ResNet as used in long-tailed recognition (LDAM-DRW's ``ResNet_s``).

    Stem ``conv3x3(in_channels -> 16) + BN + ReLU`` (stride 1, no max-pool), then three stages of
    ``(depth - 2) / 6`` :class:`CifarBasicBlock` with 16/32/64 channels and strides 1/2/2. Shortcuts
    that change shape are option A (no parameters). A 32x32 input gives feature maps of
    16x32x32, 32x16x16 and 64x8x8; with the ``GlobalAveragePooling`` neck the feature is 64-d.

    Args:
        depth (int): ``6n + 2``: 20, 32 (default), 44, 56, 110, ... (``n`` blocks per stage).
            ResNet-56 is the GML teacher.
        in_channels (int): Input image channels (3 for RGB; 1 for grayscale such as Fashion-MNIST
            when the data preprocessor keeps a single channel).
        out_indices (Sequence[int]): Stages (0, 1, 2; negative indices count from the end) whose
            outputs are returned, as a tuple, in the given order. Defaults to ``(2,)``: the last
            stage, 64 channels.
        frozen_stages (int): ``-1`` freezes nothing; ``0`` freezes the stem; ``k >= 1`` freezes the
            stem and stages ``0 .. k-1`` (MMPretrain's ResNet convention: parameters stop
            requiring grad and their BatchNorms stay in eval mode).
        norm_eval (bool): Keep every BatchNorm in eval mode (frozen running statistics) during
            training.
        zero_init_residual (bool): Zero the last BN weight (``bn2``) of each block so that each
            residual branch starts as the identity. LDAM-DRW does not do this (default ``False``).
        init_cfg (dict | list[dict], optional): MMEngine initialisation config. The default is
            LDAM-DRW's: ``kaiming_normal_`` (fan-in, ReLU gain) for every conv, BatchNorm weight 1
            and bias 0. The same initialisation is already applied at construction, so a module
            built outside a runner is ready to use.
    """

    stage_channels = (16, 32, 64)
    stage_strides = (1, 2, 2)

    def __init__(self,
                 depth: int = 32,
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 zero_init_residual: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer=['Conv2d', 'Linear'], mode='fan_in',
                     nonlinearity='relu', distribution='normal'),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
            ]
        super().__init__(init_cfg=init_cfg)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(f'ResNet32_CIFAR: depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, '
                             f'110, ...), got {depth!r}.')
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f'ResNet32_CIFAR: in_channels must be a positive int, got '
                             f'{in_channels!r}.')
        num_stages = len(self.stage_channels)
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        out_indices = tuple(out_indices)
        if not out_indices:
            raise ValueError('ResNet32_CIFAR: out_indices must name at least one stage.')
        normalised = []
        for idx in out_indices:
            if not isinstance(idx, int) or not -num_stages <= idx < num_stages:
                raise ValueError(f'ResNet32_CIFAR: out_indices must lie in [{-num_stages}, '
                                 f'{num_stages - 1}], got {out_indices}.')
            normalised.append(idx % num_stages)
        if not isinstance(frozen_stages, int) or not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'ResNet32_CIFAR: frozen_stages must be in [-1, {num_stages}], got '
                             f'{frozen_stages!r}.')

        self.depth = depth
        self.num_blocks = (depth - 2) // 6
        self.in_channels = in_channels
        self.out_indices = tuple(normalised)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual

        stem_channels = self.stage_channels[0]
        self.conv1 = nn.Conv2d(in_channels, stem_channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_channels)
        self.res_layers = []
        channels = stem_channels
        for i, (planes, stride) in enumerate(zip(self.stage_channels, self.stage_strides)):
            blocks = []
            for j in range(self.num_blocks):
                blocks.append(CifarBasicBlock(channels, planes, stride if j == 0 else 1))
                channels = planes
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, nn.Sequential(*blocks))
            self.res_layers.append(layer_name)
        self.feat_dim = channels

        self._ldam_init()
        self._freeze_stages()

    # -- initialisation ------------------------------------------------------------------------
    def _ldam_init(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
            elif isinstance(m, _BatchNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        self._zero_init_residual()

    def _zero_init_residual(self) -> None:
        if self.zero_init_residual:
            for m in self.modules():
                if isinstance(m, CifarBasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def init_weights(self) -> None:
        super().init_weights()
        cfgs = [self.init_cfg] if isinstance(self.init_cfg, dict) else self.init_cfg or []
        pretrained = any(cfg.get('type') == 'Pretrained' for cfg in cfgs)
        if not pretrained:
            self._zero_init_residual()

    # -- freezing ------------------------------------------------------------------------------
    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        modules = [self.conv1, self.bn1]
        modules += [getattr(self, name) for name in self.res_layers[:self.frozen_stages]]
        for module in modules:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet32_CIFAR':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    # -- forward -------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = F.relu(self.bn1(self.conv1(x)))
        outs = {}
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs[i] = x
        return tuple(outs[i] for i in self.out_indices)
