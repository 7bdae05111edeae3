"""tools/analysis/per_class.py: runs from work dirs, per-class JSONs and config + checkpoint;
the plotted numbers against hand computations; bad input."""
import json
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import _analysis  # noqa: E402
import per_class  # noqa: E402
from conftest import tiny_checkpoint  # noqa: E402

COUNTS = [500, 60, 10, 5]
GROUPS = ['many', 'medium', 'few', 'few']


def per_class_json(path, accuracies, counts=COUNTS):
    """A per-class JSON in ShotAccuracy's layout."""
    classes = [dict(index=i, name=f'c{i}', train_count=n, test_count=10,
                    correct=None if a is None else int(a // 10), accuracy=a, group=g)
               for i, (n, a, g) in enumerate(zip(counts, accuracies, GROUPS))]
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(many_thr=100, few_thr=20, metrics={}, classes=classes), f)
    return str(path)


def scalars(work_dir, stamp, records):
    folder = osp.join(work_dir, stamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'scalars.json'), 'w') as f:
        f.write(json.dumps({'loss': 1.0, 'step': 5}) + '\n')  # a training line: ignored
        for r in records:
            f.write(json.dumps(r) + '\n')


def test_work_dirs_and_json_gain_and_curves(tmp_path):
    ce = tmp_path / 'ce'
    per_class_json(ce / 'per_class' / 'epoch_2.json', [90.0, 50.0, 10.0, 0.0])
    per_class_json(ce / 'per_class' / 'epoch_10.json', [100.0, 60.0, 20.0, None])  # newest
    per_class_json(ce / 'per_class' / 'test.json', [0.0, 0.0, 0.0, 0.0])
    scalars(ce, '20260101_000000', [{'lt/top1': 50, 'lt/many': 90, 'lt/medium': 50,
                                     'lt/few': 5, 'step': 2}])
    # a resumed run: a second timestamp adds epoch 10 (and an empty group is left out)
    scalars(ce, '20260102_000000', [{'lt/top1': 60, 'lt/many': 100, 'lt/medium': 60,
                                     'step': 10}])
    dbm = per_class_json(tmp_path / 'dbm.json', [90.0, 70.0, 50.0, 30.0])
    summary = per_class.main([str(ce), dbm, '--labels', 'CE', 'DBM', '--out',
                              str(tmp_path / 'out' / 'pc'), '--svg'])
    assert summary['runs']['CE']['source'].endswith('epoch_10.json')
    assert summary['order'] == [0, 1, 2, 3]
    gain = summary['gain']['DBM - CE']
    # 90-100, 70-60, 50-20, 30-None
    assert gain['per_class'] == [-10.0, 10.0, 30.0, None]
    assert gain['mean'] == dict(many=-10.0, medium=10.0, few=30.0, all=10.0)
    curves = summary['runs']['CE']['curves']
    assert curves == dict(step=[2, 10], top1=[50, 60], many=[90, 100], medium=[50, 60],
                          few=[5, None])
    assert summary['runs']['DBM']['curves'] is None
    data = json.load(open(tmp_path / 'out' / 'pc.json'))
    assert data['gain']['DBM - CE']['per_class'] == [-10.0, 10.0, 30.0, None]
    assert [c['accuracy'] for c in data['runs']['CE']['classes']] == [100.0, 60.0, 20.0, None]
    assert osp.getsize(tmp_path / 'out' / 'pc.svg') > 1000
    check_png(tmp_path / 'out' / 'pc.png')
    # --eval picks a named evaluation
    summary = per_class.main([str(ce), '--eval', 'epoch_2', '--out', str(tmp_path / 'e2')])
    assert [c['accuracy'] for c in summary['runs']['run0']['classes']] == [90, 50, 10, 0]


def check_png(path, min_w=600):
    import matplotlib.image as mpimg
    img = mpimg.imread(str(path))
    assert img.shape[0] > 200 and img.shape[1] > min_w
    assert img[..., :3].std() > 0.05  # not blank


def test_bad_input(tmp_path):
    os.makedirs(tmp_path / 'no_pc' / '20260101_000000' / 'vis_data')
    with pytest.raises(FileNotFoundError, match='per_class=True'):
        per_class.main([str(tmp_path / 'no_pc'), '--out', str(tmp_path / 'x')])
    a = per_class_json(tmp_path / 'a.json', [1.0, 2.0, 3.0, 4.0])
    b = per_class_json(tmp_path / 'b.json', [1.0, 2.0, 3.0], counts=COUNTS[:3])
    with pytest.raises(ValueError, match='different numbers of classes'):
        per_class.main([a, b, '--out', str(tmp_path / 'x')])
    with open(tmp_path / 'scalars_like.json', 'w') as f:
        json.dump({'lt/top1': 3}, f)
    with pytest.raises(ValueError, match='per_class=True'):
        per_class.main([str(tmp_path / 'scalars_like.json'), '--out', str(tmp_path / 'x')])
    with pytest.raises(ValueError, match='followed by its checkpoint'):
        per_class.main(['cfg.py', '--out', str(tmp_path / 'x')])


def test_config_and_checkpoint(tmp_path, fake_cifar, tiny_cifar_config):
    """End to end on a tiny CIFAR10LT config: the per-class numbers are the hand count of the
    model's own test predictions."""
    cfg_path, cfg, ckpt = tiny_checkpoint(tmp_path, fake_cifar, tiny_cifar_config)
    # thresholds from the config's ShotAccuracy (many_thr=15, few_thr=5)
    summary = per_class.main([cfg_path, ckpt, '--out', str(tmp_path / 'pc')])
    run = _analysis.run_test_split(_analysis.build_model(cfg, ckpt),
                                   _analysis.test_loader(cfg))
    classes = summary['runs']['run0']['classes']
    for c in classes:
        mask = run['labels'] == c['index']
        assert c['accuracy'] == pytest.approx(100.0 * (run['preds'][mask] == c['index']).mean())
    # CIFAR-LT's exponential profile, 20 images per class, imbalance factor 10
    counts = [int(20 * 0.1**(i / 9)) for i in range(10)]
    assert [c['train_count'] for c in classes] == counts == [20, 15, 11, 9, 7, 5, 4, 3, 2, 2]
    assert [c['group'] for c in classes] == ['many'] + ['medium'] * 5 + ['few'] * 4
    check_png(tmp_path / 'pc.png')
