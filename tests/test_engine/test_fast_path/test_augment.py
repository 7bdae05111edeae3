"""The op table and the batched pipeline: per-sample randomness distributed like the CPU
transforms, determinism under a seed, one table row per op, clear errors."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

import mmltr  # noqa: F401
from mmltr.datasets.transforms import DeVriesCutout
from mmltr.engine.fast_path import UnsupportedTransformError, build_batch_pipeline
from mmltr.engine.fast_path.ops import OPS, Op
from mmltr.engine.fast_path.pipeline import SUPPORTED_TRANSFORMS, BatchOps

init_default_scope('mmpretrain')
torch.set_num_threads(1)

DBM_PIPELINE_BASE = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'configs',
                             '_base_', 'datasets', 'cifar10_lt_autoaug.py')


def _batch(imgs):
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).float()


def _gpu(cfg, imgs, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = build_batch_pipeline([cfg])(_batch(imgs), g)
    return out.permute(0, 2, 3, 1).numpy()


def _const_batch(n, value=100):
    return np.full((n, 4, 4, 3), value, np.uint8)


def test_random_crop_offsets_uniform_and_exact():
    n, size, pad = 4000, 8, 2
    img = (1 + np.arange(size * size)).reshape(1, size, size, 1).astype(np.uint8)
    imgs = np.repeat(img, n, 0)
    cfg = dict(type='RandomCrop', crop_size=size, padding=pad)
    out = _gpu(cfg, imgs)[..., 0]
    # out[pad, pad] = img[oy, ox]: recovers each sample's offset; the crop is exactly that window
    code = out[:, pad, pad].astype(int) - 1
    oy, ox = code // size, code % size
    padded = np.pad(img[0, :, :, 0], pad)
    for k in range(0, n, 397):
        np.testing.assert_array_equal(out[k], padded[oy[k]:oy[k] + size, ox[k]:ox[k] + size])
    counts = np.bincount(oy * (2 * pad + 1) + ox, minlength=(2 * pad + 1)**2)
    expected = n / (2 * pad + 1)**2  # CPU: np.random.randint(0, 2 * pad + 1) per axis
    assert counts.min() > 0.6 * expected and counts.max() < 1.4 * expected
    assert len(np.unique(code[:16])) > 4, 'samples of one batch must get different crops'


def test_flip_rate_and_per_sample(synthetic_images):
    n = 4000
    img = synthetic_images(1, seed=3)
    imgs = np.repeat(img, n, 0)
    out = _gpu(dict(type='RandomFlip', prob=0.5, direction='horizontal'), imgs)
    flipped = np.all(out == img[:, :, ::-1], axis=(1, 2, 3))
    same = np.all(out == img, axis=(1, 2, 3))
    assert np.all(flipped | same)
    assert abs(flipped.mean() - 0.5) < 0.04


def test_determinism_under_seed(synthetic_images):
    cfg = [dict(type='RandomCrop', crop_size=32, padding=4),
           dict(type='RandomFlip', prob=0.5, direction='horizontal'),
           dict(type='AutoAugment', policies='imagenet'),
           dict(type='Cutout', shape=16, pad_val=0, prob=1.0)]
    pipe = build_batch_pipeline(cfg)
    x = _batch(np.repeat(synthetic_images(1, seed=3), 32, 0))

    def run(seed):
        return pipe(x, torch.Generator().manual_seed(seed))

    a, b, c = run(1), run(1), run(2)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # identical inputs, different per-sample draws
    assert len({tuple(v.flatten()[:64].tolist()) for v in a}) > 20


def test_autoaugment_choice_prob_and_sign_distributions():
    n = 6000
    mags = [-0.5, -0.25, 0.0, 0.25, 0.5]
    policies = [[dict(type='Brightness', magnitude=m, prob=1.0, random_negative_prob=0.)]
                for m in mags]
    out = _gpu(dict(type='AutoAugment', policies=policies), _const_batch(n))[:, 0, 0, 0]
    # uniform choice of the 5 sub-policies (RandomChoice with prob=None)
    vals, counts = np.unique(out, return_counts=True)
    assert sorted(vals.tolist()) == [50, 75, 100, 125, 150]
    assert np.all(np.abs(counts / n - 0.2) < 0.03)
    # op probability and random sign inside a sub-policy
    policies = [[dict(type='Brightness', magnitude=0.5, prob=0.3, random_negative_prob=0.5)]]
    out = _gpu(dict(type='AutoAugment', policies=policies), _const_batch(n))[:, 0, 0, 0]
    assert abs((out == 100).mean() - 0.7) < 0.03
    assert abs((out == 150).mean() - 0.15) < 0.03 and abs((out == 50).mean() - 0.15) < 0.03
    # magnitude levels (magnitude_range / magnitude_level / magnitude_std='inf')
    policies = [[dict(type='Brightness', magnitude_range=(0, 0.9), magnitude_level=5,
                      magnitude_std='inf', prob=1.0, random_negative_prob=0.)]]
    out = _gpu(dict(type='AutoAugment', policies=policies), _const_batch(n))[:, 0, 0, 0]
    assert out.min() >= 100 and out.max() <= 145 and abs(out.mean() - 122.5) < 2


def test_unsigned_ops_never_negate():
    """Solarize/SolarizeAdd/Posterize/Cutout ignore random_negative_prob, as on the CPU."""
    n = 2000
    solarize_add = TRANSFORMS.build(dict(type='SolarizeAdd', magnitude=50, prob=1.0))
    solarize_add.random_negative_prob = 1.0  # as if a policy forced it: the op table ignores it
    out = _gpu(solarize_add, _const_batch(n))
    assert np.all(out == 150)
    assert [k for k, op in OPS.items() if not op.signed] == [
        'Solarize', 'SolarizeAdd', 'Posterize', 'Cutout']


def test_cutout_hole_like_mmcv():
    import mmcv
    n, size = 3000, 32
    img = np.full((size, size, 3), 200, np.uint8)
    out = _gpu(dict(type='Cutout', shape=16, pad_val=0, prob=1.0), np.repeat(img[None], n, 0))
    holes = out[..., 0] == 0
    area = holes.sum(axis=(1, 2))
    for k in range(0, n, 299):  # one axis-aligned rectangle, clipped to the image
        ys, xs = np.nonzero(holes[k])
        assert holes[k][ys.min():ys.max() + 1, xs.min():xs.max() + 1].all()
        assert ys.max() - ys.min() < 16 and xs.max() - xs.min() < 16
    np.random.seed(0)
    ref = np.array([(mmcv.cutout(img, 16, 0)[..., 0] == 0).sum() for _ in range(n)])
    assert abs(area.mean() - ref.mean()) < 0.03 * ref.mean()
    assert abs((area == 256).mean() - (ref == 256).mean()) < 0.04


def test_devries_cutout_like_cpu():
    n, size = 3000, 32
    img = np.full((size, size, 3), 200, np.uint8)
    out = _gpu(dict(type='DeVriesCutout', length=16, n_holes=1, pad_val=0),
               np.repeat(img[None], n, 0))
    area = (out[..., 0] == 0).sum(axis=(1, 2))
    np.random.seed(0)
    t = DeVriesCutout(length=16)
    ref = np.array([(t.transform(dict(img=img))['img'][..., 0] == 0).sum() for _ in range(n)])
    assert area.max() == 256 and abs(area.mean() - ref.mean()) < 0.03 * ref.mean()


def test_unsupported_transform_is_named():
    with pytest.raises(UnsupportedTransformError, match='RandomResizedCrop'):
        build_batch_pipeline([dict(type='RandomResizedCrop', scale=32)])
    with pytest.raises(UnsupportedTransformError, match='loading transform'):
        build_batch_pipeline([dict(type='LoadImageFromFile')])
    with pytest.raises(UnsupportedTransformError, match='AutoAugment contains RandomErasing'):
        build_batch_pipeline([dict(type='AutoAugment', policies=[[dict(type='RandomErasing')]])])
    with pytest.raises(UnsupportedTransformError, match="interpolation 'area'"):
        _gpu(dict(type='Shear', magnitude=0.2, interpolation='area', prob=1.0),
             _const_batch(2))


class Darken:
    """A CPU op the table does not know yet (attributes as MMPretrain's ``BaseAugTransform``)."""

    def __init__(self, magnitude, prob=1.0, random_negative_prob=0.0, floor=0):
        self.magnitude = magnitude
        self.prob = prob
        self.random_negative_prob = random_negative_prob
        self.floor = floor


def _darken(x, mag, floor=0):
    return torch.clamp_min(x - mag.to(x.dtype).view(-1, 1, 1, 1), floor)


def test_one_table_row_adds_an_op(monkeypatch):
    """A row of OPS (plus its kernel) is all a new op needs: sampling, grouping, the single-op
    step and AutoAugment sub-policies all read it."""
    assert set(OPS) <= set(SUPPORTED_TRANSFORMS)
    with pytest.raises(UnsupportedTransformError, match='Darken'):
        build_batch_pipeline([Darken(10)])
    monkeypatch.setitem(OPS, 'Darken', Op(_darken, 'magnitude', static=('floor', )))
    x = _batch(_const_batch(1000))
    pipe = build_batch_pipeline([Darken(30, prob=0.5, random_negative_prob=0.5, floor=80)])
    assert isinstance(pipe.steps[0], BatchOps)
    out = pipe(x, torch.Generator().manual_seed(0))[:, 0, 0, 0]
    # half not applied (100), the others 100 - 30 clamped at the floor 80, or 100 + 30
    assert set(out.unique().tolist()) == {80.0, 100.0, 130.0}
    assert abs((out == 100).float().mean() - 0.5) < 0.06
    # in AutoAugment: two sub-policies whose ops differ in a static key form two groups
    aa = TRANSFORMS.build(dict(type='AutoAugment', policies=[[dict(type='Invert')]] * 2))
    aa.transforms[0].transforms = [Darken(5)]
    aa.transforms[1].transforms = [Darken(5, floor=97)]
    out = build_batch_pipeline([aa])(x, torch.Generator().manual_seed(0))[:, 0, 0, 0]
    assert set(out.unique().tolist()) == {95.0, 97.0}
    assert abs((out == 95).float().mean() - 0.5) < 0.06


def test_dbm_recipe_pipeline_distribution_matches_cpu(synthetic_images):
    """The DBM recipe (crop + flip + AutoAugment CIFAR-10 policy + Cutout), CPU vs batched.

    Same 4 images augmented 800 times each by MMPretrain's per-sample CPU pipeline and by the
    batched pipeline translated from the same config: the output pixel statistics must agree.
    """
    cfg = Config.fromfile(DBM_PIPELINE_BASE)
    steps = [t for t in cfg.train_pipeline if t['type'] != 'PackInputs']
    cpu = [TRANSFORMS.build(t) for t in steps]
    batch = build_batch_pipeline(steps)
    assert [type(s).__name__ for s in batch.steps] == [
        'BatchRandomCrop', 'BatchRandomFlip', 'BatchOps', 'BatchDeVriesCutout']
    assert len(batch.steps[2].policies) == 25
    imgs = synthetic_images(4, seed=7)
    reps = 800
    np.random.seed(0)
    ref = []
    for im in imgs:
        for _ in range(reps):
            r = dict(img=im.copy())
            for t in cpu:
                r = t.transform(r)
            ref.append(r['img'])
    ref = np.stack(ref).astype(np.float64)
    out = batch(_batch(np.repeat(imgs, reps, 0)), torch.Generator().manual_seed(0))
    out = out.permute(0, 2, 3, 1).numpy().astype(np.float64)
    for k in range(4):  # per source image: mean/std per channel, black fraction
        a, b = out[k * reps:(k + 1) * reps], ref[k * reps:(k + 1) * reps]
        assert np.all(np.abs(a.mean((0, 1, 2)) - b.mean((0, 1, 2))) < 4.0)
        assert np.all(np.abs(a.std((0, 1, 2)) - b.std((0, 1, 2))) < 4.0)
        assert abs((a == 0).mean() - (b == 0).mean()) < 0.02
