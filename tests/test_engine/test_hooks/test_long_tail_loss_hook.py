"""LongTailLossHook: fills class counts only when training, checks eval counts, drives epochs."""
import types

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.runner import IterBasedTrainLoop
from mmpretrain.registry import MODELS

from mmltr.engine.hooks import LongTailLossHook
from mmltr.evaluation.metrics import ShotAccuracy
from mmltr.models.losses import CountAwareLoss, DBMLoss, GHMCWAPLoss, LDAMLoss


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


def _with_metric(runner, name, **kwargs):
    metric = ShotAccuracy(**kwargs)
    loop = getattr(runner, f'_{name}_loop')
    loop.evaluator = types.SimpleNamespace(metrics=[metric])
    metric.dataset_meta = loop.dataloader.dataset.metainfo
    return metric


def test_eval_metrics_take_the_training_counts(fake_runner):
    # the val split was built with another imbalance factor: the metric follows the training set
    runner = fake_runner(_model(), counts=[50, 20, 5], val_counts=[50, 20, 6])
    metric = _with_metric(runner, 'val', many_thr=40, few_thr=6)
    assert metric._resolve_counts().tolist() == [50, 20, 6]
    LongTailLossHook().before_run(runner)
    assert metric._resolve_counts().tolist() == [50, 20, 5]
    assert any('the val dataset carries the training class counts [50, 20, 6]' in m
               for m in runner.logger.messages)
    # an explicit class_counts argument still wins
    runner = fake_runner(_model(), counts=[50, 20, 5], test_counts=[50, 20, 5])
    explicit = _with_metric(runner, 'test', class_counts=[1, 2, 3])
    LongTailLossHook().before_run(runner)
    assert explicit._resolve_counts().tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match='The test dataset has 4 classes but the training dataset '
                       'has 3'):
        LongTailLossHook().before_run(fake_runner(_model(), test_counts=[1, 2, 3, 4]))


@pytest.mark.parametrize('num_classes', [2, 5])
def test_head_num_classes_checked_before_training(num_classes, fake_runner):
    head = MODELS.build(dict(type='LinearClsHead', num_classes=num_classes, in_channels=4))
    with pytest.raises(ValueError, match=f'LinearClsHead has num_classes={num_classes} but the '
                       'training dataset has 3 classes'):
        LongTailLossHook().before_run(fake_runner(nn.Sequential(head), counts=[50, 20, 5]))


def test_train_imbalance_factor_set_in_one_place(tmp_path, fake_cifar, tiny_cifar_config):
    """``--cfg-options train_dataloader.dataset.imbalance_factor=...`` alone changes the groups."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    fake_cifar(str(tmp_path / 'data'), 10, per_class=20, test_per_class=2)
    cfg = Config.fromfile(tiny_cifar_config(str(tmp_path / 'data'), str(tmp_path / 'work'),
                                            max_epochs=1, fast=False))
    cfg.merge_from_dict({'train_dataloader.dataset.imbalance_factor': 4})
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_counts = list(runner.train_dataloader.dataset.metainfo['class_counts'])
    assert train_counts == [20, 17, 14, 12, 10, 9, 7, 6, 5, 5]  # IF 4, not the val split's 10
    metric = runner.val_evaluator.metrics[0]
    assert metric._resolve_counts().tolist() == train_counts

    # tools/test.py with the same override: a test-only run reads the configured training set
    cfg.load_from = runner.work_dir + '/epoch_1.pth'
    runner = Runner.from_cfg(cfg)
    runner.test()
    assert runner.test_evaluator.metrics[0]._resolve_counts().tolist() == train_counts


def test_epoch_protocol(fake_runner):
    runner = fake_runner(_model(), epoch=4)
    hook = LongTailLossHook()
    hook.before_train_epoch(runner)
    hook.after_train_epoch(runner)
    assert runner.model[0].epoch == 4
    assert runner.model[1].epochs == [4] and runner.model[1].ends == 1
    assert np.isscalar(runner.model[0].epoch)


@pytest.mark.parametrize('loss', ['DBMLoss', 'LDAMLoss'])
def test_margin_loss_on_a_linear_head_is_refused(loss, fake_runner):
    head = MODELS.build(dict(type='LinearClsHead', num_classes=3, in_channels=4,
                             loss=dict(type=loss)))
    for training in (True, False):
        with pytest.raises(ValueError, match=f"{loss} expects raw cosines.*CosineClsHead"):
            LongTailLossHook().before_run(fake_runner(nn.Sequential(head), training=training))
    cosine = MODELS.build(dict(type='CosineClsHead', num_classes=3, in_channels=4,
                               loss=dict(type=loss)))
    runner = fake_runner(nn.Sequential(cosine))
    LongTailLossHook().before_run(runner)
    assert cosine.loss_module.class_counts.tolist() == [50, 20, 5]


def test_loaded_checkpoint_counts_give_way_to_the_training_set(fake_runner):
    runner = fake_runner(_model(), counts=[50, 20, 5])
    hook = LongTailLossHook()
    hook.before_run(runner)
    loss = runner.model[0]
    # load_from runs between before_run and before_train
    loss.load_state_dict(dict(class_counts=torch.tensor([9., 9., 9.], dtype=torch.float64)))
    assert loss.class_counts.tolist() == [9, 9, 9]
    hook.before_train(runner)
    assert loss.class_counts.tolist() == [50, 20, 5]
    assert 'checkpoint gave CountAwareLoss the class counts [9, 9, 9]' in runner.logger.last
    # same counts (a resume): nothing changed, nothing logged
    logged = len(runner.logger.messages)
    hook.before_train(runner)
    assert len(runner.logger.messages) == logged


def test_loaded_counts_give_way_to_the_config_counts(fake_runner):
    loss = DBMLoss(class_counts=[7, 8, 9])
    runner = fake_runner(nn.Sequential(loss), counts=[50, 20, 5])
    hook = LongTailLossHook()
    hook.before_run(runner)
    loss.load_state_dict(dict(class_counts=torch.tensor([1., 2., 3.], dtype=torch.float64)))
    hook.before_train(runner)
    assert loss.class_counts.tolist() == [7, 8, 9]
    torch.testing.assert_close(loss.class_margins, DBMLoss(class_counts=[7, 8, 9]).class_margins)


@pytest.mark.parametrize('loss,refused', [
    (lambda: GHMCWAPLoss(num_classes=3), True),
    (lambda: DBMLoss(base='drw'), True),
    (lambda: LDAMLoss(drw_epoch=160), True),
    (lambda: DBMLoss(base='ce'), False),
    (lambda: LDAMLoss(), False),
    (lambda: LDAMLoss(drw_epoch=0), False),
])
def test_iteration_based_loop_refused_for_epoch_state(loss, refused, fake_runner):
    runner = fake_runner(nn.Sequential(loss()))
    runner._train_loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    if refused:
        with pytest.raises(ValueError, match='IterBasedTrainLoop.*by_epoch=True'):
            LongTailLossHook().before_run(runner)
    else:
        LongTailLossHook().before_run(runner)


class _DDP(nn.Sequential):
    """Stands in for a DDP wrapper: only ``broadcast_buffers`` matters here."""

    def __init__(self, *modules, broadcast_buffers):
        super().__init__(*modules)
        self.broadcast_buffers = broadcast_buffers


def test_broadcast_buffers_refused_for_rank_local_statistics(fake_runner):
    runner = fake_runner(_DDP(GHMCWAPLoss(num_classes=3), broadcast_buffers=True))
    with pytest.raises(ValueError, match='GHMCWAPLoss.*broadcast_buffers=False'):
        LongTailLossHook().before_run(runner)
    LongTailLossHook().before_run(fake_runner(_DDP(GHMCWAPLoss(num_classes=3),
                                                   broadcast_buffers=False)))
    LongTailLossHook().before_run(fake_runner(_DDP(DBMLoss(), broadcast_buffers=True)))


def test_test_only_run_without_training_data_keeps_the_eval_counts(tmp_path, fake_runner):
    runner = fake_runner(_model(), training=False, test_counts=[50, 20, 5])
    runner.cfg = dict(train_dataloader=dict(dataset=dict(
        type='CIFAR10LT', data_root=str(tmp_path / 'missing'), pipeline=[])))
    metric = _with_metric(runner, 'test', many_thr=40, few_thr=6)
    LongTailLossHook().before_run(runner)
    assert metric._resolve_counts().tolist() == [50, 20, 5]
    assert 'cannot build train_dataloader.dataset' in runner.logger.last
    assert 'missing' in runner.logger.last
