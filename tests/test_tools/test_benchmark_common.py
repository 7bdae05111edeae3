"""tools/benchmark/_common.py, in process: the method table, timing and table helpers."""
import os.path as osp
import sys

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmark'))
import _common  # noqa: E402


@pytest.mark.parametrize('method', sorted(_common.METHODS))
def test_every_method_builds_and_gets_its_counts(method):
    init_default_scope('mmpretrain')
    head = MODELS.build(_common.head_cfg(_common.METHODS[method], num_classes=3, in_channels=8))
    cosine = _common.METHODS[method]['type'] in ('DBMLoss', 'LDAMLoss')
    assert type(head).__name__ == ('CosineClsHead' if cosine else 'LinearClsHead')
    _common.set_class_counts(head, [50, 10, 2])
    assert not any(getattr(m, 'needs_class_counts', False) for m in head.modules())
    feats = (torch.randn(4, 8), )
    losses = head.loss(feats, [DataSample().set_gt_label(i % 3) for i in range(4)])
    assert torch.isfinite(losses['loss'])


def test_median_ms_times_every_call():
    calls = []
    ms = _common.median_ms(lambda: calls.append(1), 'cpu', warmup=2, repeats=3, inner=4)
    assert len(calls) == 2 + 3 * 4 and ms >= 0


def test_format_table_and_fmt():
    text = _common.format_table(('a', 'long b'), [(1, _common.fmt(None, '.2f')),
                                                  ('xyz', _common.fmt(2.345, '.2f'))])
    assert text.splitlines() == ['  a | long b', '----+-------', '  1 |      -',
                                 'xyz |   2.35']
