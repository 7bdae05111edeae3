"""ResNet10: MMPretrain's ResNet with one BasicBlock per stage (the ImageNet-LT ResNet-10)."""
import pytest
import torch
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS

from mmltr.models.backbones import ResNet10


def independent_param_count(widths=(64, 128, 256, 512), in_channels=3):
    """torchvision-style ResNet-10, counted from its design: a 7x7 stem conv + BN, then per stage
    one BasicBlock (two 3x3 convs + two BNs) whose first stage keeps the width and whose other
    stages downsample with a 1x1 conv + BN shortcut. A BN has 2 parameters per channel."""
    total = 49 * in_channels * widths[0] + 2 * widths[0]
    prev = widths[0]
    for w in widths:
        total += 9 * prev * w + 9 * w * w + 4 * w
        if w != prev:
            total += prev * w + 2 * w
        prev = w
    return total


def test_parameter_count_and_output():
    model = ResNet10()
    assert isinstance(model, ResNet) and model.depth == 10
    assert [len(getattr(model, f'layer{i}')) for i in (1, 2, 3, 4)] == [1, 1, 1, 1]
    num = sum(p.numel() for p in model.parameters())
    assert num == independent_param_count() == 4905792  # "~5.0M without the classifier"
    model.eval()
    out = model(torch.randn(2, 3, 64, 64))
    assert isinstance(out, tuple) and out[-1].shape == (2, 512, 2, 2)


def test_registered_and_other_depths_kept():
    backbone = MODELS.build(dict(type='ResNet10', out_indices=(2, 3)))
    assert isinstance(backbone, ResNet10) and backbone.out_indices == (2, 3)
    assert len(ResNet10(depth=18).layer1) == 2  # MMPretrain's depths stay available
    with pytest.raises(KeyError, match='invalid depth 12'):
        ResNet10(depth=12)
