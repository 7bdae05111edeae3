"""Difficulty-Net's CIFAR augmentation: the magnitude intervals by hand, the warps against an
independent coordinate mapping, photometric ops against their definitions, the policy against
the independent transcription in the DBM configs, MeanCutout without the diagonal bug."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import TRANSFORMS
from PIL import Image, ImageEnhance
from scipy import ndimage

import mmltr  # noqa: F401
from mmltr.datasets.transforms.difficulty_net_augment import (
    CIFAR10_POLICY,
    OPS,
    DifficultyNetAutoAugment,
    MeanCutout,
    magnitude_interval,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_magnitude_intervals_by_hand():
    assert magnitude_interval('Rotate', 2) == pytest.approx((-18.0, -12.0))
    assert magnitude_interval('Solarize', 2) == pytest.approx((51.2, 76.8))
    assert magnitude_interval('Contrast', 6) == pytest.approx((1.18, 1.36))
    assert magnitude_interval('Posterize', 7) == pytest.approx((6.8, 7.2))  # always 7 bits
    assert magnitude_interval('TranslateX', 9) == pytest.approx((0.8 * 150 / 331,
                                                                 150 / 331))
    assert magnitude_interval('ShearY', 4) == pytest.approx((-0.06, 0.0))


def test_drawn_magnitudes_are_uniform_in_their_interval():
    aug = DifficultyNetAutoAugment(policies=[[('Rotate', 1.0, 2), ('Solarize', 1.0, 2)]])
    np.random.seed(0)
    draws = np.array([[m for _, m in aug._draw()] for _ in range(4000)])
    for col, (lo, hi) in enumerate([(-18, -12), (51.2, 76.8)]):
        x = draws[:, col]
        assert x.min() >= lo and x.max() <= hi
        u = (x - lo) / (hi - lo)  # U(0, 1): mean 1/2, variance 1/12
        assert abs(u.mean() - 0.5) < 0.02 and abs(u.var() - 1 / 12) < 0.01


def _reference_warp(img, matrix):
    """The released warp as an explicit coordinate mapping: output pixel (r, c) reads the input
    at A ((r, c) - o) + o + t, o = (H/2 + 0.5, W/2 + 0.5), cubic spline, zero outside."""
    h, w = img.shape[:2]
    o = np.array([h / 2 + 0.5, w / 2 + 0.5])[:, None]
    rr, cc = np.mgrid[0:h, 0:w]
    src = matrix[:2, :2] @ (np.stack([rr.ravel(), cc.ravel()]) - o) + o + matrix[:2, 2:]
    return np.stack([ndimage.map_coordinates(img[..., ch], src, order=3, mode='constant',
                                             cval=0).reshape(h, w)
                     for ch in range(img.shape[2])], axis=2)


@pytest.mark.parametrize('op,m', [('ShearX', 0.21), ('ShearY', -0.13), ('TranslateX', 0.4),
                                  ('TranslateY', -0.38), ('Rotate', -15.5)])
def test_warps_match_the_coordinate_mapping(synthetic_images, op, m):
    img = synthetic_images(1, size=32)[0]
    t = np.deg2rad(m)
    matrix = dict(
        ShearX=[[1, m, 0], [0, 1, 0]], ShearY=[[1, 0, 0], [m, 1, 0]],
        TranslateX=[[1, 0, 0], [0, 1, 32 * m]], TranslateY=[[1, 0, 32 * m], [0, 1, 0]],
        Rotate=[[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0]])[op]
    out = OPS[op](img, m)
    assert out.dtype == np.uint8 and out.shape == img.shape
    np.testing.assert_array_equal(out, _reference_warp(img, np.array(matrix, dtype=float)))


def test_integer_translation_shifts_and_fills_with_zero(synthetic_images):
    img = synthetic_images(1, size=32)[0]
    out = OPS['TranslateX'](img, 4 / 32)  # content moves 4 columns to the left
    np.testing.assert_array_equal(out[:, 2:24].astype(int), img[:, 6:28].astype(int))
    assert (out[:, 29:] == 0).all()


def test_photometric_ops_by_definition(synthetic_images):
    img = synthetic_images(1, size=16)[0]
    np.testing.assert_array_equal(OPS['Invert'](img, None), 255 - img)
    np.testing.assert_array_equal(OPS['Solarize'](img, 100.5),
                                  np.where(img < 100.5, img, 255 - img))
    np.testing.assert_array_equal(OPS['Posterize'](img, 6.9), img & 0b11111110)  # 7 bits
    np.testing.assert_array_equal(OPS['Brightness'](img, 1.3),
                                  np.asarray(ImageEnhance.Brightness(Image.fromarray(img))
                                             .enhance(1.3)))
    gray = img[..., :1]  # one channel: PIL's 'L' mode, shape kept
    assert OPS['Contrast'](gray, 1.5).shape == gray.shape


def test_policy_matches_the_dbm_transcription():
    """Two independent transcriptions of AutoAugment's CIFAR-10 policy: op kinds and
    probabilities agree sub-policy by sub-policy."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', 'pipelines',
                                   'autoaugment_cifar10_policy.py'))
    names = dict(Shear=dict(horizontal='ShearX', vertical='ShearY'),
                 Translate=dict(horizontal='TranslateX', vertical='TranslateY'))
    assert len(CIFAR10_POLICY) == len(cfg.autoaug_cifar10_policies) == 25
    for ours, theirs in zip(CIFAR10_POLICY, cfg.autoaug_cifar10_policies):
        for (op, prob, _), t in zip(ours, theirs):
            kind = names[t['type']][t['direction']] if t['type'] in names else \
                {'ColorTransform': 'Color'}.get(t['type'], t['type'])
            assert (op, prob) == (kind, t['prob'])


def test_transform_runs_and_respects_channel_order(synthetic_images):
    imgs = synthetic_images(20, size=32)
    rgb = TRANSFORMS.build(dict(type='DifficultyNetAutoAugment'))
    bgr = TRANSFORMS.build(dict(type='DifficultyNetAutoAugment', channel_order='bgr'))
    changed = 0
    for i, img in enumerate(imgs):
        np.random.seed(i)
        a = rgb(dict(img=img.copy()))['img']
        np.random.seed(i)
        b = bgr(dict(img=np.ascontiguousarray(img[..., ::-1])))['img']
        assert a.dtype == np.uint8 and a.shape == img.shape
        np.testing.assert_array_equal(a, b[..., ::-1])
        changed += not np.array_equal(a, img)
    assert changed >= 10  # most images get at least one op
    with pytest.raises(ValueError, match="channel_order must be 'rgb' or 'bgr'"):
        DifficultyNetAutoAugment(channel_order='hsv')
    with pytest.raises(ValueError, match="unknown op 'Cutout'"):
        DifficultyNetAutoAugment(policies=[[('Cutout', 0.5, 3)]])


def test_mean_cutout_fill_and_placement(synthetic_images):
    img = synthetic_images(1, size=32)[0]
    cut = TRANSFORMS.build(dict(type='MeanCutout', length=16))
    np.random.seed(0)
    corners = np.array([cut._corner(32, 32) for _ in range(4000)])
    tops, lefts = corners[:, 0], corners[:, 1]
    assert tops.min() == -8 and tops.max() == 15 and lefts.min() == -8 and lefts.max() == 15
    # independent draws: the released bug (left = top after clipping) would put the hole on
    # the diagonal for most images; here top == left happens 1 time in 24
    assert abs(np.mean(tops == lefts) - 1 / 24) < 0.015
    assert abs(np.corrcoef(tops, lefts)[0, 1]) < 0.05
    fill = np.uint8(img.mean())  # truncated, as assigning the float mean into uint8 does
    hit = np.zeros((32, 32), bool)
    for _ in range(500):
        out = cut(dict(img=img.copy()))['img']
        changed = (out != img).any(axis=2)
        assert (out[changed] == fill).all()
        hit |= changed
    # holes never reach the last row or column (they are clipped at the top/left only)
    assert not hit[31].any() and not hit[:, 31].any() and hit[0].any() and hit[:, 0].any()


def test_mean_cutout_hole_by_hand():
    img = (np.arange(32 * 32 * 3, dtype=np.int64).reshape(32, 32, 3) % 251).astype(np.uint8)
    cut = MeanCutout(length=16)
    for seed in range(1000):  # a draw whose hole is clipped at the top
        np.random.seed(seed)
        top, left = cut._corner(32, 32)
        if top < 0 <= left:
            break
    np.random.seed(seed)
    out = cut(dict(img=img.copy()))['img']
    expected = img.copy()
    # rows top..top+15 clipped at 0 (fewer than 16 rows), columns left..left+15
    expected[0:top + 16, left:left + 16] = np.uint8(img.mean())
    np.testing.assert_array_equal(out, expected)
    assert 0 < top + 16 < 16 and (out != img).any(axis=2).sum(1).max() == 16
    with pytest.raises(ValueError, match='length must be a positive int'):
        MeanCutout(length=0)
    with pytest.raises(ValueError, match='larger than the hole'):
        cut(dict(img=np.zeros((8, 8, 3), np.uint8)))
