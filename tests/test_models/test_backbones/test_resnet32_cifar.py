"""ResNet32_CIFAR: the LTR-standard CIFAR ResNet with option-A shortcuts."""
import copy
import pickle

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mmltr  # noqa: F401  (registers ResNet32_CIFAR)
from mmltr.models.backbones import ResNet32_CIFAR
from mmltr.models.backbones.resnet32_cifar import OptionAShortcut


def independent_param_count(depth, in_channels=3, num_classes=None):
    """Closed-form parameter count of He et al.'s CIFAR ResNet, written from the paper's design.

    Stem: one 3x3 conv in_channels->16 + BN (2 params per channel). Stage s (widths w = 16, 32,
    64) has n = (depth - 2) / 6 blocks of two 3x3 convs + two BNs; the first block of stages 2 and
    3 takes w/2 input channels. Option-A shortcuts have no parameters.
    """
    n = (depth - 2) // 6
    total = 9 * in_channels * 16 + 2 * 16
    prev = 16
    for w in (16, 32, 64):
        first = 9 * prev * w + 9 * w * w + 4 * w
        rest = 9 * w * w + 9 * w * w + 4 * w
        total += first + (n - 1) * rest
        prev = w
    if num_classes:
        total += 64 * num_classes + num_classes
    return total


def num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_output_shapes_32x32():
    model = ResNet32_CIFAR()
    model.eval()
    out = model(torch.randn(2, 3, 32, 32))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (2, 64, 8, 8)

    model = ResNet32_CIFAR(out_indices=(0, 1, 2))
    outs = model(torch.randn(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32, 32), (2, 32, 16, 16), (2, 64, 8, 8)]
    # negative indices and order are respected
    outs = ResNet32_CIFAR(out_indices=(-1, 0))(torch.randn(1, 3, 32, 32))
    assert [o.shape[1] for o in outs] == [64, 16]


def test_grayscale_input():
    model = ResNet32_CIFAR(in_channels=1)
    assert model.conv1.weight.shape == (16, 1, 3, 3)
    out = model(torch.randn(2, 1, 28, 28))
    assert out[0].shape == (2, 64, 7, 7)
    assert num_params(model) == independent_param_count(32, in_channels=1)


def test_parameter_count_matches_independent_count():
    model = ResNet32_CIFAR()
    assert num_params(model) == independent_param_count(32) == 463504
    # With LDAM-DRW's 10-way linear classifier: the "0.46M" of the papers.
    assert independent_param_count(32, num_classes=10) == 464154
    # The table in LDAM-DRW's resnet_cifar.py (params with a 10-way classifier).
    for depth, millions in ((20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)):
        count = num_params(ResNet32_CIFAR(depth=depth))
        assert count == independent_param_count(depth)
        assert round((count + 650) / 1e6, 2 if depth < 110 else 1) == millions
    # 32 weighted layers: 31 convs + the classifier.
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 31
    assert not any(isinstance(m, nn.Linear) for m in model.modules())


def test_block_structure():
    model = ResNet32_CIFAR()
    assert [len(getattr(model, f'layer{i}')) for i in (1, 2, 3)] == [5, 5, 5]
    assert len(ResNet32_CIFAR(depth=56).layer2) == 9
    shortcuts = [m for m in model.modules() if isinstance(m, OptionAShortcut)]
    assert len(shortcuts) == 2  # first block of stages 2 and 3
    assert model.layer1[0].conv1.stride == (1, 1)
    assert model.layer2[0].conv1.stride == (2, 2)
    assert model.layer3[0].conv1.stride == (2, 2)


def test_option_a_shortcut_is_parameter_free_and_matches_ldam():
    for planes in (32, 64):
        shortcut = OptionAShortcut(planes // 2, planes, stride=2)
        assert num_params(shortcut) == 0 and len(list(shortcut.buffers())) == 0
        x = torch.randn(2, planes // 2, 16, 16)
        ldam = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4), 'constant', 0)
        assert torch.equal(shortcut(x), ldam)
    model = ResNet32_CIFAR()
    for block in (model.layer2[0], model.layer3[0]):
        assert num_params(block.shortcut) == 0
    with pytest.raises(ValueError, match='reduce'):
        OptionAShortcut(32, 16, 1)


@pytest.mark.parametrize('depth', [18, 33, 2, 0, -4, '32', 32.0, None])
def test_depth_validation(depth):
    with pytest.raises(ValueError, match='6n \\+ 2'):
        ResNet32_CIFAR(depth=depth)


@pytest.mark.parametrize('kwargs', [dict(out_indices=(3, )), dict(out_indices=(-4, )),
                                    dict(out_indices=()), dict(frozen_stages=4),
                                    dict(frozen_stages=-2), dict(in_channels=0)])
def test_argument_validation(kwargs):
    with pytest.raises(ValueError):
        ResNet32_CIFAR(**kwargs)


def test_kaiming_init_and_zero_init_residual():
    torch.manual_seed(0)
    model = ResNet32_CIFAR()
    w = model.layer3[1].conv2.weight  # fan_in = 64 * 9
    expected = (2.0 / (64 * 9))**0.5
    assert abs(w.std().item() / expected - 1) < 0.05
    model.init_weights()  # what the runner calls: same distribution
    assert abs(model.layer3[1].conv2.weight.std().item() / expected - 1) < 0.05
    assert torch.all(model.layer1[0].bn2.weight == 1)

    model = ResNet32_CIFAR(zero_init_residual=True)
    assert all(torch.all(m.bn2.weight == 0) for m in model.modules() if hasattr(m, 'bn2'))
    model.init_weights()
    assert all(torch.all(m.bn2.weight == 0) for m in model.modules() if hasattr(m, 'bn2'))
    assert torch.all(model.layer1[0].bn1.weight == 1)


def test_frozen_stages_and_norm_eval():
    model = ResNet32_CIFAR(frozen_stages=1)
    model.train()
    assert not model.conv1.weight.requires_grad and not model.bn1.training
    assert all(not p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert model.layer2[0].bn1.training

    model = ResNet32_CIFAR(norm_eval=True)
    model.train()
    assert all(not m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert model.conv1.weight.requires_grad

    model = ResNet32_CIFAR()
    model.train()
    assert all(m.training for m in model.modules())


def test_backward_and_pickle():
    model = ResNet32_CIFAR(depth=20)
    out = model(torch.randn(4, 3, 32, 32))[0]
    out.mean().backward()
    assert all(p.grad is not None for p in model.parameters())
    clone = pickle.loads(pickle.dumps(model))  # no lambdas: spawn / DDP safe
    copy.deepcopy(model)
    model.eval()
    clone.eval()
    x = torch.randn(1, 3, 32, 32)
    assert torch.allclose(model(x)[0], clone(x)[0])


def test_builds_through_registry_in_mmpretrain_scope():
    init_default_scope('mmpretrain')
    backbone = MODELS.build(dict(type='ResNet32_CIFAR', depth=56))
    assert isinstance(backbone, ResNet32_CIFAR) and backbone.depth == 56

    model = MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ResNet32_CIFAR'),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
                       loss=dict(type='CrossEntropyLoss'))))
    model.init_weights()
    model.eval()
    feats = model.extract_feat(torch.randn(2, 3, 32, 32))
    assert feats[-1].shape == (2, 64)
    assert num_params(model) == independent_param_count(32, num_classes=10)
    assert model(torch.randn(2, 3, 32, 32), mode='tensor').shape == (2, 10)
