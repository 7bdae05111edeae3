"""LongTailLossHook: fills class counts only when training, checks eval counts, drives epochs."""
import types

import numpy as np
import pytest
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.runner import BaseLoop

from mmltr.engine.hooks import LongTailLossHook
from mmltr.models.losses import CountAwareLoss


class _Loop(BaseLoop):
    def __init__(self, dataset=None):
        self.dataloader = types.SimpleNamespace(dataset=dataset)

    def run(self):  # pragma: no cover
        pass


class _Dataset:
    def __init__(self, counts):
        self.metainfo = dict(class_counts=tuple(counts), classes=tuple(map(str, range(len(counts)))))


class _Stateful(nn.Module):
    def __init__(self):
        super().__init__()
        self.epochs, self.ends = [], 0

    def set_epoch(self, epoch):
        self.epochs.append(epoch)

    def on_train_epoch_end(self):
        self.ends += 1


class _Runner:
    def __init__(self, train_loop, val_counts=None, epoch=0):
        self.model = nn.Sequential(CountAwareLoss(num_classes=3), _Stateful())
        self._train_loop = train_loop
        self._val_loop = _Loop(_Dataset(val_counts)) if val_counts is not None else None
        self._test_loop = None
        self.epoch = epoch
        self.logger = MMLogger.get_instance('test_long_tail_loss_hook')
        self.train_dataloader_built = False

    @property
    def train_dataloader(self):
        self.train_dataloader_built = True
        return types.SimpleNamespace(dataset=_Dataset([50, 20, 5]))


def test_fills_counts_when_training():
    runner = _Runner(_Loop())
    LongTailLossHook().before_run(runner)
    assert runner.model[0].class_counts.tolist() == [50, 20, 5]


@pytest.mark.parametrize('loop', [None, dict(type='EpochBasedTrainLoop', max_epochs=2)])
def test_test_only_runs_do_not_build_the_training_set(loop):
    # Under tools/test.py the train loop is still a config dict (or None).
    runner = _Runner(loop)
    LongTailLossHook().before_run(runner)
    assert not runner.train_dataloader_built
    assert runner.model[0].needs_class_counts


def test_explicit_counts_are_kept():
    runner = _Runner(_Loop())
    runner.model[0].set_class_counts([7, 8, 9])
    LongTailLossHook().before_run(runner)
    assert runner.model[0].class_counts.tolist() == [7, 8, 9]


def test_eval_split_with_other_counts_is_an_error():
    runner = _Runner(_Loop(), val_counts=[50, 20, 6])
    with pytest.raises(ValueError, match='same imbalance factor'):
        LongTailLossHook().before_run(runner)
    LongTailLossHook().before_run(_Runner(_Loop(), val_counts=[50, 20, 5]))  # agreeing: fine


def test_epoch_protocol():
    runner = _Runner(_Loop(), epoch=4)
    hook = LongTailLossHook()
    hook.before_train_epoch(runner)
    hook.after_train_epoch(runner)
    assert runner.model[0].epoch == 4
    assert runner.model[1].epochs == [4] and runner.model[1].ends == 1
    assert np.isscalar(runner.model[0].epoch)
