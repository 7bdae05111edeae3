"""Difficulty-Net's CIFAR augmentation on the fast path: with the same draws, every op and the
whole ``DifficultyNetAutoAugment`` / ``MeanCutout`` step equal the CPU transforms on every pixel
(real CIFAR-10 images when data/cifar10-jpeg is there); the draws are distributed as the CPU
transform's (statistical tests against the policy's own numbers and the CPU draws)."""
import glob
import os.path as osp
from collections import Counter

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS
from scipy import stats

import mmltr  # noqa: F401
from mmltr.datasets.transforms.difficulty_net_augment import CIFAR10_POLICY, OPS
from mmltr.engine.fast_path import UnsupportedTransformError, build_batch_pipeline
from mmltr.engine.fast_path.difficulty_net_ops import (
    BatchDifficultyNetAutoAugment,
    BatchMeanCutout,
    mean_cutout,
)
from mmltr.engine.fast_path.spline_warp import spline_affine

init_default_scope('mmpretrain')
torch.set_num_threads(1)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
#: the 11-point scales of the released code, transcribed here on their own
SCALE = dict(ShearX=(-0.3, 0.3), ShearY=(-0.3, 0.3), TranslateX=(-150 / 331, 150 / 331),
             TranslateY=(-150 / 331, 150 / 331), Rotate=(-30, 30), Solarize=(0, 256),
             Posterize=(4, 8), Contrast=(0.1, 1.9), Color=(0.1, 1.9), Brightness=(0.1, 1.9),
             Sharpness=(0.1, 1.9))


@pytest.fixture
def images(synthetic_images):
    """20 RGB CIFAR-10 test images (2 per class) from data/cifar10-jpeg; synthetic images with
    natural-image structure where that copy is absent (e.g. CI)."""
    files = sorted(glob.glob(osp.join(ROOT, 'data', 'cifar10-jpeg', 'test', '*', '000[01].jpg')))
    if len(files) == 20:
        return np.stack([cv2.imread(f)[..., ::-1] for f in files])
    return synthetic_images(20, seed=11)


def _batch(imgs):
    return torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).float()


def _numpy(x):
    out = x.permute(0, 2, 3, 1).numpy()
    assert np.all(out == np.round(out)) and out.min() >= 0 and out.max() <= 255
    return out.astype(np.uint8)


def _cpu_with_draws(t, img, fired):
    """The CPU transform on ``img`` with its draw fixed to ``fired`` [(op, magnitude), ...]."""
    t._draw = lambda: fired
    return t.transform(dict(img=img.copy()))['img']


def _fired(step, ops, fired, mag, i):
    return [(step.names[int(ops[i, s])], float(mag[i, s])) for s in range(ops.size(1))
            if fired[i, s]]


@pytest.mark.parametrize('op', sorted(OPS))
def test_each_op_equals_the_cpu_op(images, op):
    """Fixed magnitudes spread over the whole scale (both signs for the warps): every pixel
    equal (warps: SciPy's cubic spline; colour ops: PIL's arithmetic)."""
    step = BatchDifficultyNetAutoAugment([[(op, 1.0, 0)]])
    n = len(images)
    lo, hi = SCALE.get(op, (0, 1))
    mags = torch.linspace(lo, hi, n + 2, dtype=torch.float64)[1:-1] + 1e-3 * (hi - lo)
    ops = torch.full((n, 1), step.names.index(op))
    out = _numpy(step.apply(_batch(images), ops, torch.ones(n, 1, dtype=torch.bool),
                            mags.view(n, 1)))
    for i, img in enumerate(images):
        m = float(mags[i]) if op in SCALE else None
        np.testing.assert_array_equal(out[i], OPS[op](img.copy(), m), err_msg=f'{op}({m})')


@pytest.mark.parametrize('channel_order', ['rgb', 'bgr'])
def test_step_equals_the_cpu_transform_with_the_same_draws(images, channel_order):
    """Each sample's own draw (sub-policy, probabilities, magnitudes) replayed through the CPU
    transform: the batched step gives the same image, every pixel."""
    t = TRANSFORMS.build(dict(type='DifficultyNetAutoAugment', channel_order=channel_order))
    step = build_batch_pipeline([t]).steps[0]
    assert isinstance(step, BatchDifficultyNetAutoAugment) and len(step.ops) == 25
    imgs = np.repeat(images, 6, 0)
    if channel_order == 'bgr':
        imgs = imgs[..., ::-1]
    ops, fired, mag = step.sample(len(imgs), torch.Generator().manual_seed(1), 'cpu')
    out = _numpy(step.apply(_batch(imgs), ops, fired, mag))
    for i, img in enumerate(imgs):
        np.testing.assert_array_equal(out[i], _cpu_with_draws(t, img, _fired(step, ops, fired,
                                                                             mag, i)))
    assert fired.any(1).float().mean() > 0.6  # most samples got at least one op


def test_one_channel_images(synthetic_images):
    """Grey images (PIL's 'L' mode on the CPU): Color leaves them alone, Contrast uses their own
    mean."""
    t = TRANSFORMS.build(dict(type='DifficultyNetAutoAugment'))
    step = BatchDifficultyNetAutoAugment.from_transform(t)
    imgs = synthetic_images(40, channels=1, seed=4)
    ops, fired, mag = step.sample(len(imgs), torch.Generator().manual_seed(2), 'cpu')
    out = _numpy(step.apply(_batch(imgs), ops, fired, mag))
    for i, img in enumerate(imgs):
        np.testing.assert_array_equal(out[i], _cpu_with_draws(t, img, _fired(step, ops, fired,
                                                                             mag, i)))


def test_spline_warp_is_scipy_on_random_affine_maps(images):
    from scipy import ndimage
    rng = np.random.RandomState(0)
    mats = np.zeros((len(images), 2, 3))
    for k in range(len(images)):
        a = rng.uniform(-1.3, 1.3, (2, 2)) + np.eye(2)
        mats[k] = np.concatenate([a, rng.uniform(-12, 12, (2, 1))], axis=1)
    out = _numpy(spline_affine(_batch(images), torch.from_numpy(mats)))
    for k, img in enumerate(images):
        ref = np.stack([ndimage.affine_transform(img[..., c], mats[k, :, :2], mats[k, :, 2],
                                                 order=3, mode='constant', cval=0)
                        for c in range(3)], axis=2)
        np.testing.assert_array_equal(out[k], ref)


def test_draws_are_distributed_like_the_cpu_transform():
    """Op frequencies and the chance that no op fires against the policy table (uniform
    sub-policy, independent coin per op); magnitudes uniform inside each op's interval, in the
    policy's proportions; and the batched and CPU draws are the same distribution."""
    n = 20000
    t = TRANSFORMS.build(dict(type='DifficultyNetAutoAugment'))
    step = BatchDifficultyNetAutoAugment.from_transform(t)
    ops, fired, mag = step.sample(n, torch.Generator().manual_seed(0), 'cpu')
    batched = [_fired(step, ops, fired, mag, i) for i in range(n)]
    np.random.seed(0)
    cpu = [t._draw() for _ in range(n)]
    num = len(CIFAR10_POLICY)
    p_none = sum(np.prod([1 - p for _, p, _ in sub]) for sub in CIFAR10_POLICY) / num
    patterns = []
    for draws in (batched, cpu):
        # expected numbers from the policy itself
        none = np.mean([not d for d in draws])
        assert abs(none - p_none) < 4 * np.sqrt(p_none * (1 - p_none) / n)
        counts = Counter(op for d in draws for op, _ in d)
        for name in OPS:
            p = sum(p for sub in CIFAR10_POLICY for op, p, _ in sub if op == name) / num
            assert abs(counts[name] - n * p) < 4 * np.sqrt(n * p) + 1, name
        patterns.append(Counter(tuple(op for op, _ in d) for d in draws))
    # the joint pattern of fired ops: one distribution
    keys = sorted(set(patterns[0]) | set(patterns[1]))
    table = np.array([[c[k] for k in keys] for c in patterns])
    assert stats.chi2_contingency(table[:, table.sum(0) >= 20]).pvalue > 1e-3
    # magnitudes: each in an interval the policy uses, the intervals in the policy's proportions,
    # uniform inside each; batched and CPU alike
    for name, (lo, hi) in SCALE.items():
        weight = Counter()
        for sub in CIFAR10_POLICY:
            for op, p, index in sub:
                weight[index] += p if op == name else 0
        weight = {k: v for k, v in weight.items() if v}
        if not weight:
            continue
        samples = []
        for draws in (batched, cpu):
            mags = np.array([m for d in draws for op, m in d if op == name])
            index = np.floor((mags - lo) / (hi - lo) * 10).astype(int)
            assert set(index) == set(weight), name
            share = np.array([np.mean(index == k) for k in sorted(weight)])
            expected = np.array([weight[k] for k in sorted(weight)]) / sum(weight.values())
            assert np.abs(share - expected).max() < 0.03, name
            for k in weight:
                u = (mags[index == k] - lo) / (hi - lo) * 10 - k
                assert stats.kstest(u, 'uniform').pvalue > 1e-3, (name, k)
            samples.append(mags)
        assert stats.ks_2samp(*samples).pvalue > 1e-3, name


def test_unknown_op_is_named():
    with pytest.raises(UnsupportedTransformError, match="op 'Cutout' has no batched version"):
        BatchDifficultyNetAutoAugment([[('Cutout', 0.5, 3)]])


# ----------------------------------------------------------------------------------------------
# MeanCutout
# ----------------------------------------------------------------------------------------------
def test_mean_cutout_equals_the_cpu_transform_with_the_same_corners(images):
    cut = TRANSFORMS.build(dict(type='MeanCutout', length=16))
    step = build_batch_pipeline([cut]).steps[0]
    assert isinstance(step, BatchMeanCutout)
    corners = [(-8, -8), (-3, 10), (0, 0), (15, 15), (7, -5), (12, 2)]
    imgs = np.concatenate([images, images[:, ::-1] // 3])  # different means
    for top, left in corners:
        n = len(imgs)
        out = _numpy(mean_cutout(_batch(imgs), torch.full((n, ), top), torch.full((n, ), left),
                                 16))
        cut._corner = lambda h, w: (top, left)
        for i, img in enumerate(imgs):
            ref = cut.transform(dict(img=img.copy()))['img']
            np.testing.assert_array_equal(out[i], ref)
            # by hand: the hole holds the truncated mean of the whole image
            hole = out[i][max(top, 0):top + 16, max(left, 0):left + 16]
            assert (hole == int(img.astype(np.float64).mean())).all()


def test_mean_cutout_corners_uniform_and_independent():
    """Top and left each uniform on [-8, 16) (24 values): not on the diagonal (the released
    code's ``left = top`` bug would make top == left almost always)."""
    n = 24000
    step = BatchMeanCutout(length=16)
    top, left = step.corners(n, 32, 32, torch.Generator().manual_seed(0), 'cpu')
    top, left = top.numpy(), left.numpy()
    for v in (top, left):
        assert v.min() == -8 and v.max() == 15
        counts = np.bincount(v + 8, minlength=24)
        assert stats.chisquare(counts).pvalue > 1e-3
    assert abs(np.mean(top == left) - 1 / 24) < 0.005
    assert abs(np.corrcoef(top, left)[0, 1]) < 0.03
    joint = np.bincount((top + 8) * 24 + left + 8, minlength=24 * 24).reshape(24, 24)
    assert stats.chi2_contingency(joint).pvalue > 1e-3
    # through the step: the holes of a constant batch have the CPU transform's mean area
    x = torch.full((4000, 3, 32, 32), 90.0)
    x[:, :, 0, 0] = 0.0  # mean 89.97 -> fill 89
    area = (step(x, torch.Generator().manual_seed(1))[:, 0] == 89).sum((1, 2)).float()
    clipped = np.minimum(np.arange(-8, 16) + 16, 16)  # rows (or columns) of the hole
    assert abs(area.mean().item() - clipped.mean()**2) < 3


def test_mean_cutout_needs_an_image_larger_than_the_hole():
    with pytest.raises(ValueError, match='must be larger than the hole'):
        BatchMeanCutout(length=16)(torch.zeros(2, 3, 16, 16), torch.Generator())
