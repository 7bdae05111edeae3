"""DifficultyNet: the MLP, the relative difficulty and the driver loss."""
import pytest
import torch
import torch.nn as nn

from mmltr.models.classifiers.difficulty_net import (
    DifficultyNet,
    difficulty_to_weights,
    driver_loss,
    relative_difficulty,
)


def test_difficulty_net_range_and_weights():
    torch.manual_seed(0)
    dn = DifficultyNet(10, hidden_dims=(32, 32), bias=True)
    acc = torch.rand(10)
    d = dn(acc)
    assert d.shape == (10, ) and (d > 0).all() and (d < 1).all()
    w = dn.class_weights(acc)
    torch.testing.assert_close(w.mean(), torch.tensor(1.0))
    torch.testing.assert_close(w, 10 * d / d.sum())
    assert dn(torch.rand(4, 10)).shape == (4, 10)
    # CIFAR setting: no biases -> a = 0 gives d = 0.5 everywhere (uniform weights).
    dn0 = DifficultyNet(10)
    assert [m.bias for m in dn0.modules() if isinstance(m, nn.Linear)] == [None] * 3
    assert [m.out_features for m in dn0.modules() if isinstance(m, nn.Linear)] == [128, 128, 10]
    torch.testing.assert_close(dn0(torch.zeros(10)), torch.full((10, ), 0.5))
    torch.testing.assert_close(dn0.class_weights(torch.zeros(10)), torch.ones(10))
    with pytest.raises(ValueError, match='10 per-class'):
        dn0(torch.rand(7))


def test_relative_difficulty_and_driver_loss_by_hand():
    a = torch.tensor([0.9, 0.5, 0.1, 0.0])
    s = 1.5
    expected = torch.tensor([1 - 0.9 / s, 1 - 0.5 / s, 1 - 0.1 / s, 1.0])
    torch.testing.assert_close(relative_difficulty(a), expected)
    d = torch.tensor([0.2, 0.4, 0.6, 0.8])
    by_hand = sum((d[i] - expected[i])**2 for i in range(4)) / 4
    torch.testing.assert_close(driver_loss(d, a), by_hand)
    # a = 0 (first epoch): target 1 everywhere thanks to the +1e-12
    torch.testing.assert_close(relative_difficulty(torch.zeros(3)), torch.ones(3))
    torch.testing.assert_close(difficulty_to_weights(d), d * 4 / d.sum())
