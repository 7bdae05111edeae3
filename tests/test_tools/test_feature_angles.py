"""tools/analysis/feature_angles.py: angles and Fisher criterion on synthetic features with
answers computed by hand; the checkpoint and model checks; the figure."""
import json
import math
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import _analysis  # noqa: E402
import feature_angles  # noqa: E402

A = math.radians(20)


def two_classes(scale=1.0):
    """Class 0 at (cos a, +-sin a), class 1 at (-cos a, +-sin a), each point twice."""
    c, s = math.cos(A), math.sin(A)
    pts = [(c, s), (c, -s), (-c, s), (-c, -s)] * 2
    labels = np.array([0, 0, 1, 1] * 2)
    return np.array(pts) * scale, labels


def test_angles_to_centres_and_weights():
    x, y = two_classes(scale=3.0)  # the length of a feature does not matter
    np.testing.assert_allclose(feature_angles.angles_to_centres(x, y, 2), 20.0, atol=1e-9)
    weights = np.array([[1.0, 0.0], [0.0, 1.0]])  # class 1's weight is 90 deg from the x-axis
    angles = feature_angles.angles_to_weights(x, y, weights)
    np.testing.assert_allclose(angles[y == 0], 20.0, atol=1e-9)
    # (-cos a, +sin a) and (-cos a, -sin a) vs (0, 1): 90 - 20 and 90 + 20 degrees
    np.testing.assert_allclose(np.sort(angles[y == 1]), [70, 70, 110, 110], atol=1e-9)


def test_fisher_criterion_by_hand():
    x, y = two_classes()
    # mu_0 = (cos a, 0), mu_1 = (-cos a, 0), mu = 0: tr S_W = 8 sin^2 a, tr S_B = 8 cos^2 a
    assert feature_angles.fisher_criterion(x, y) == pytest.approx(1 / math.tan(A)**2)
    assert feature_angles.fisher_criterion(x, y, classes=[0]) is None  # one class: undefined
    # unequal class sizes: S_B weights each centre by its count
    x3 = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y3 = np.array([0, 0, 1])
    # S_W = 0 (every sample on its centre): undefined
    assert feature_angles.fisher_criterion(x3, y3) is None
    x4 = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1], [-1, 0]], dtype=float)
    y4 = np.array([0, 0, 1, 1, 1])
    u = x4 / np.linalg.norm(x4, axis=1, keepdims=True)
    m0, m1, mu = u[:2].mean(0), u[2:].mean(0), u.mean(0)
    sw = ((u[:2] - m0)**2).sum() + ((u[2:] - m1)**2).sum()
    sb = 2 * ((m0 - mu)**2).sum() + 3 * ((m1 - mu)**2).sum()
    assert feature_angles.fisher_criterion(x4, y4) == pytest.approx(sb / sw)


def test_summary_groups_and_plot(tmp_path):
    x, y = two_classes()
    res = feature_angles.summarize(x, y, counts=[500, 10], weights=np.eye(2))
    assert res['angles_to_centre']['many']['median'] == pytest.approx(20.0)
    assert res['angles_to_centre']['medium'] is None  # no medium class
    assert res['angles_to_weight']['few']['q1'] == pytest.approx(70.0)
    assert res['angles_to_weight']['few']['q3'] == pytest.approx(110.0)
    assert res['fisher']['many'] is None and res['fisher']['all'] == pytest.approx(
        1 / math.tan(A)**2)
    paths = feature_angles.plot({'A': res, 'B': res}, str(tmp_path / 'fa'), ('png', 'svg'))
    assert [osp.splitext(p)[1] for p in paths] == ['.png', '.svg', '.json']
    import matplotlib.image as mpimg
    img = mpimg.imread(paths[0])
    assert img.shape[0] > 200 and img.shape[1] > 600
    assert img[..., :3].std() > 0.05  # not blank
    data = json.load(open(paths[2]))
    assert data['A']['fisher']['all'] == pytest.approx(1 / math.tan(A)**2)


def _classifier(neck=True):
    init_default_scope('mmpretrain')
    return MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ResNet32_CIFAR', depth=8),
        neck=dict(type='GlobalAveragePooling') if neck else None,
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64)))


def test_checkpoint_mismatch_names_the_keys():
    model = _classifier()
    state = model.state_dict()
    state['head.fc.weight'] = torch.zeros(5, 64)
    state['extra.weight'] = torch.zeros(1)
    del state['head.fc.bias']
    with pytest.raises(ValueError) as err:
        _analysis.check_state_dict(model, state, 'x.pth')
    msg = str(err.value)
    assert 'head.fc.bias' in msg and 'extra.weight' in msg and 'head.fc.weight' in msg


def test_model_without_pooled_features():
    with pytest.raises(ValueError, match='pooling neck'):
        _analysis.pooled_features(_classifier(neck=False), torch.zeros(2, 3, 32, 32))
    feats = _analysis.pooled_features(_classifier(), torch.zeros(2, 3, 32, 32))
    assert feats.shape == (2, 64)


def test_build_model_takes_the_top_level_data_preprocessor(tmp_path):
    """Dataset configs put the normalisation in a top-level ``data_preprocessor``; like MMEngine's
    Runner, the analysis tools must move it into the model (else inputs stay un-normalised)."""
    from mmengine.config import Config
    model = _classifier()
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'm.pth')
    cfg = Config(dict(
        default_scope='mmpretrain',
        model=dict(type='ImageClassifier', backbone=dict(type='ResNet32_CIFAR', depth=8),
                   neck=dict(type='GlobalAveragePooling'),
                   head=dict(type='LinearClsHead', num_classes=3, in_channels=64)),
        data_preprocessor=dict(num_classes=3, mean=[10.0, 20.0, 30.0], std=[2.0, 4.0, 8.0])))
    built = _analysis.build_model(cfg, str(tmp_path / 'm.pth'))
    out = built.data_preprocessor(dict(inputs=[torch.full((3, 4, 4), 30.0)]), False)['inputs']
    np.testing.assert_allclose(out[0, :, 0, 0].numpy(), [10.0, 2.5, 0.0])
