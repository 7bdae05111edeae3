"""LongTailLossHook: fills class counts only when training, checks eval counts, drives epochs."""
import numpy as np
import pytest
import torch.nn as nn

from mmltr.engine.hooks import LongTailLossHook
from mmltr.models.losses import CountAwareLoss


class _Stateful(nn.Module):

    def __init__(self):
        super().__init__()
        self.epochs, self.ends = [], 0

    def set_epoch(self, epoch):
        self.epochs.append(epoch)

    def on_train_epoch_end(self):
        self.ends += 1


class _Untouchable:
    """A training dataloader that must not be built (it fails on any use)."""

    def __getattr__(self, name):
        raise AssertionError(f'the hook used train_dataloader.{name} in a test-only run')


def _model():
    return nn.Sequential(CountAwareLoss(num_classes=3), _Stateful())


def test_fills_counts_when_training(fake_runner):
    runner = fake_runner(_model(), counts=[50, 20, 5])
    LongTailLossHook().before_run(runner)
    assert runner.model[0].class_counts.tolist() == [50, 20, 5]
    assert 'set on CountAwareLoss' in runner.logger.last


@pytest.mark.parametrize('loop', [None, dict(type='EpochBasedTrainLoop', max_epochs=2)])
def test_test_only_runs_do_not_build_the_training_set(loop, fake_runner):
    # Under tools/test.py the train loop is still a config dict (or None).
    runner = fake_runner(_model(), training=False)
    runner._train_loop = loop
    runner.train_dataloader = _Untouchable()
    LongTailLossHook().before_run(runner)
    assert runner.model[0].needs_class_counts


def test_explicit_counts_are_kept(fake_runner):
    runner = fake_runner(_model(), counts=[50, 20, 5])
    runner.model[0].set_class_counts([7, 8, 9])
    LongTailLossHook().before_run(runner)
    assert runner.model[0].class_counts.tolist() == [7, 8, 9]


def test_eval_split_with_other_counts_is_an_error(fake_runner):
    runner = fake_runner(_model(), counts=[50, 20, 5], val_counts=[50, 20, 6])
    with pytest.raises(ValueError, match='same imbalance factor'):
        LongTailLossHook().before_run(runner)
    agreeing = fake_runner(_model(), counts=[50, 20, 5], val_counts=[50, 20, 5],
                           test_counts=[50, 20, 5])
    LongTailLossHook().before_run(agreeing)
    assert agreeing.model[0].class_counts.tolist() == [50, 20, 5]
    with pytest.raises(ValueError, match='The test dataset'):
        LongTailLossHook().before_run(fake_runner(_model(), test_counts=[1, 2, 3]))


def test_epoch_protocol(fake_runner):
    runner = fake_runner(_model(), epoch=4)
    hook = LongTailLossHook()
    hook.before_train_epoch(runner)
    hook.after_train_epoch(runner)
    assert runner.model[0].epoch == 4
    assert runner.model[1].epochs == [4] and runner.model[1].ends == 1
    assert np.isscalar(runner.model[0].epoch)
