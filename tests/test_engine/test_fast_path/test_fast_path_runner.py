"""Switching a config to the fast path: apply_fast_path / FastPathRunner."""
import pytest
from mmengine.config import Config

import mmltr  # noqa: F401
from mmltr.engine.fast_path import apply_fast_path


def test_apply_fast_path_rewrites_loops():
    cfg = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=2), val_cfg=dict(),
                      test_cfg=None, fast_path=dict(train=dict(sync_interval=7),
                                                    val=dict(batch_size=99))))
    apply_fast_path(cfg)
    assert cfg.train_cfg == dict(type='GPUEpochBasedTrainLoop', max_epochs=3, val_interval=2,
                                 sync_interval=7)
    assert cfg.val_cfg == dict(type='GPUValLoop', batch_size=99) and cfg.test_cfg is None
    off = Config(dict(train_cfg=dict(max_epochs=1), fast_path=dict(enable=False)))
    assert apply_fast_path(off).train_cfg == dict(max_epochs=1)


def test_apply_fast_path_rejects_other_loops():
    cfg = Config(dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=9),
                      fast_path=dict(enable=True)))
    with pytest.raises(ValueError, match='epoch-based loop only'):
        apply_fast_path(cfg)
    cfg = Config(dict(train_cfg=dict(by_epoch=False), fast_path=dict(enable=True)))
    with pytest.raises(ValueError, match='by_epoch=False'):
        apply_fast_path(cfg)
