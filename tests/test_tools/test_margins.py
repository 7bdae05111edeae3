"""tools/analysis/margins.py: DBM's and LDAM's margins against hand computations and against the
logits the losses produce; GHM-CWAP's regions and weights against a checkpoint's buffers."""
import json
import math
import os.path as osp
import sys

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import margins  # noqa: E402
from test_per_class import check_png  # noqa: E402

from mmltr.models.losses import dbm_logits  # noqa: E402

DBM_HEAD = ("model = dict(head=dict(_delete_=True, type='CosineClsHead', num_classes=10, "
            "in_channels=64, loss=dict(type='DBMLoss', base='bs', K=0.1, tau=1.0, "
            "lambda_inst=0.5)))")


def _cfg(tmp_path, fake_cifar, tiny_cifar_config, extra):
    fake_cifar(str(tmp_path / 'data'))
    return tiny_cifar_config(str(tmp_path / 'data'), str(tmp_path / 'wd'), fast=False,
                             extra=extra)


def test_dbm_margins(tmp_path, fake_cifar, tiny_cifar_config):
    cfg = _cfg(tmp_path, fake_cifar, tiny_cifar_config, DBM_HEAD)
    res = margins.main([cfg, '--out', str(tmp_path / 'dbm'), '--svg'])
    counts = np.array([int(20 * 0.1**(i / 9)) for i in range(10)])  # the training set's
    assert res['class_counts'] == counts.tolist()
    m_c = 0.1 * (counts / 2.0)**-1.0  # K (n_c / n_min)^-tau, n_min = 2
    np.testing.assert_allclose(res['class_margin'], m_c, rtol=1e-6)
    np.testing.assert_allclose(res['instance_margin_max'], 1.5 * m_c, rtol=1e-6)
    np.testing.assert_allclose(res['hard_margin'][0][10], m_c[0] * (1 + 0.5 * 0.5), rtol=1e-6)
    # the loss's own logits: a hard sample of class c with cos_y = 1 - 2 d gets the plotted
    # margin added to its angle
    scale = 32.0
    for c in (0, 9):
        for k in (0, 10, 20):
            d = res['difficulty'][k]
            cos_y = float(np.clip(1 - 2 * d, -1 + 1e-6, 1 - 1e-6))
            cos = torch.full((1, 10), cos_y)
            cos[0, (c + 1) % 10] = 1.0  # another class wins: a hard positive
            logit = dbm_logits(cos, torch.tensor([c]), torch.tensor(m_c, dtype=torch.float32),
                               scale, 0.5)[0, c].item()
            margin = math.acos(max(-1.0, min(1.0, logit / scale))) - math.acos(cos_y)
            if math.acos(cos_y) + res['hard_margin'][c][k] < math.pi:  # acos is not past pi
                assert margin == pytest.approx(res['hard_margin'][c][k], abs=2e-3)
    # LDAM reference: 0.5 (n_min / n_c)^(1/4)
    np.testing.assert_allclose(res['ldam_reference']['class_margin'], 0.5 * (2.0 / counts)**0.25,
                               rtol=1e-6)
    check_png(tmp_path / 'dbm.png')
    assert json.load(open(tmp_path / 'dbm.json'))['class_margin'] == res['class_margin']
    assert osp.getsize(tmp_path / 'dbm.svg') > 1000


def test_ldam_and_unsupported(tmp_path, fake_cifar, tiny_cifar_config):
    cfg = _cfg(tmp_path, fake_cifar, tiny_cifar_config,
               "model = dict(head=dict(_delete_=True, type='CosineClsHead', num_classes=10, "
               "in_channels=64, loss=dict(type='LDAMLoss', max_margin=0.4)))")
    res = margins.main([cfg, '--class-counts', '1000', '100', '10', '10', '10', '10', '10', '10',
                        '10', '10', '--out', str(tmp_path / 'ldam')])
    np.testing.assert_allclose(res['class_margin'][:3],
                               [0.4 * 10**-0.5, 0.4 * 10**-0.25, 0.4], rtol=1e-6)
    check_png(tmp_path / 'ldam.png', min_w=300)
    ce = _cfg(tmp_path, fake_cifar, tiny_cifar_config, '')
    with pytest.raises(ValueError, match='CrossEntropyLoss'):
        margins.main([ce, '--class-counts', *['5'] * 10, '--out', str(tmp_path / 'x')])


def test_ghm_cwap_from_checkpoint(tmp_path, fake_cifar, tiny_cifar_config):
    cfg_path = _cfg(tmp_path, fake_cifar, tiny_cifar_config,
                    "model = dict(head=dict(loss=dict(_delete_=True, type='GHMCWAPLoss', "
                    "num_classes=10, bins=3, fine_bins=12)))")
    with pytest.raises(SystemExit, match='--checkpoint'):
        margins.main([cfg_path, '--out', str(tmp_path / 'x')])
    import _analysis
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    cfg = _analysis.load_config(cfg_path)
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    loss = model.head.loss_module
    loss.set_class_counts([20, 15, 11, 9, 7, 5, 4, 3, 2, 2])
    edges = torch.tensor([[0, 4, 8, 12]] * 10)
    edges[0] = torch.tensor([0, 1, 2, 12])
    loss.edge_idx.copy_(edges)
    loss.weight_table.copy_(torch.arange(30, dtype=torch.float32).reshape(10, 3) / 10 + 0.1)
    loss.has_hist.fill_(True)
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'ghm.pth')
    res = margins.main([cfg_path, '--checkpoint', str(tmp_path / 'ghm.pth'), '--out',
                        str(tmp_path / 'ghm')])
    assert res['region_edges'][0] == [0.0, 1 / 12, 2 / 12, 1.0]
    assert res['region_edges'][1] == [0.0, 1 / 3, 2 / 3, 1.0]
    np.testing.assert_allclose(res['weight_table'], loss.weight_table.double().numpy())
    assert res['class_counts'] == [20, 15, 11, 9, 7, 5, 4, 3, 2, 2]
    check_png(tmp_path / 'ghm.png')
