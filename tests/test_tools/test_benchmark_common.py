"""tools/benchmark/_common.py, in process: the method table, timing and table helpers; and
loop_overhead.py's baselines."""
import os.path as osp
import sys
import time

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmark'))
import _common  # noqa: E402
import loop_overhead  # noqa: E402


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


def test_loop_overhead_baselines_do_the_same_tensor_work():
    """The bare loop (tensor code by hand) and the train_step loop (MMPretrain's train_step with an
    OptimWrapper) train the same initial model on the same batches to bit-identical weights, so
    their time difference is the model stack's Python, not other work."""
    args = loop_overhead.parse_args(['--iters', '3', '--batch-size', '8', '--image-size', '8'])
    loops = {}
    for name, cls in loop_overhead.BASELINES.items():
        torch.manual_seed(0)  # the same initial weights
        loops[name] = cls(args, time.perf_counter)
    start = {k: v.clone() for k, v in loops['bare'].model.state_dict().items()}
    for k, v in loops['train_step'].model.state_dict().items():
        assert torch.equal(v, start[k]), k
    for loop in loops.values():
        torch.manual_seed(1)  # the same epoch permutation
        assert loop.run_epoch() > 0
    bare, step = (loops[n].model.state_dict() for n in ('bare', 'train_step'))
    changed = [k for k in bare if not torch.equal(bare[k], start[k])]
    assert len(changed) == 4, changed  # the convolution's and the head's weight and bias
    for k in bare:
        assert torch.equal(step[k], bare[k]), k
