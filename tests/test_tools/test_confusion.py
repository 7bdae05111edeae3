"""tools/analysis/confusion.py: the sorted matrix and the error flow against a hand count; end to
end on a tiny config; a checkpoint that does not match the config."""
import json
import os.path as osp
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _analysis  # noqa: E402
import confusion  # noqa: E402
from conftest import tiny_checkpoint  # noqa: E402
from test_per_class import check_png  # noqa: E402


def test_hand_count(tmp_path):
    # class 0 few (5 images), class 1 many (500), class 2 medium (50)
    labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    preds = [1, 1, 2, 0, 1, 1, 0, 2, 1, 0]
    res = confusion.summarize(labels, preds, [5, 500, 50], names=['a', 'b', 'c'])
    assert res['matrix'] == [[1, 2, 1], [1, 2, 0], [1, 1, 1]]
    assert res['order'] == [1, 2, 0]
    assert res['sorted_matrix'] == [[2, 0, 1], [1, 1, 1], [2, 1, 1]]
    assert res['groups'] == ['few', 'many', 'medium']
    assert res['recall'] == pytest.approx([1 / 4, 2 / 3, 1 / 3])
    few = res['error_flow']['few']
    assert few['errors'] == 3 and few['into'] == dict(many=2, medium=1, few=0)
    assert res['tail_errors_into_head'] == pytest.approx(2 / 3)
    assert res['non_head_errors_into_head'] == pytest.approx(3 / 5)  # (2 + 1) of (3 + 2)
    assert res['error_flow']['many'] == dict(errors=1, into=dict(many=0, medium=0, few=1),
                                             share=dict(many=0.0, medium=0.0, few=1.0))
    # no error in a group: shares are None, not NaN
    perfect = confusion.summarize([0, 1, 2], [0, 1, 2], [5, 500, 50])
    assert perfect['tail_errors_into_head'] is None
    paths = confusion.plot(res, str(tmp_path / 'cm'), 'toy', ('png', 'svg'))
    check_png(paths[0])
    assert json.load(open(paths[2]))['sorted_matrix'] == [[2, 0, 1], [1, 1, 1], [2, 1, 1]]


def test_end_to_end_and_mismatch(tmp_path, fake_cifar, tiny_cifar_config):
    cfg_path, cfg, ckpt = tiny_checkpoint(tmp_path, fake_cifar, tiny_cifar_config)
    res = confusion.main([cfg_path, ckpt, '--out', str(tmp_path / 'cm')])
    run = _analysis.run_test_split(_analysis.build_model(cfg, ckpt), _analysis.test_loader(cfg))
    hand = np.zeros((10, 10), dtype=int)
    for t, p in zip(run['labels'], run['preds']):
        hand[t, p] += 1
    assert res['matrix'] == hand.tolist() and hand.sum() == 40
    assert (res['many_thr'], res['few_thr']) == (15, 5)  # the config's ShotAccuracy
    assert res['classes'][0] == 'airplane'
    check_png(tmp_path / 'cm.png')
    _, _, bad = tiny_checkpoint(tmp_path, fake_cifar, tiny_cifar_config, num_classes=5)
    with pytest.raises(ValueError, match=r'head\.fc\.weight.*\(5, 64\)'):
        confusion.main([cfg_path, bad, '--out', str(tmp_path / 'bad')])
