"""The contrastive-view steps: per-sample random parameters distributed like the CPU transforms'
draws, RandomApply, MultiView (views, order, errors)."""
import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS
from PIL import Image

import mmltr  # noqa: F401
from mmltr.engine.fast_path import UnsupportedTransformError, build_batch_pipeline
from mmltr.engine.fast_path.contrastive import (
    GAUSSIAN_BLUR,
    BatchColorJitter,
    BatchRandomResizedCrop,
)
from mmltr.engine.fast_path.ops import OpSpec

init_default_scope('mmpretrain')
torch.set_num_threads(1)

CLS_VIEW = [dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='AutoAugment', policies='imagenet'),
            dict(type='DeVriesCutout', length=16)]
CONTRASTIVE_VIEW = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5)]
BCL_PIPELINE = [dict(type='MultiView', num_views=[1, 2], transforms=[CLS_VIEW, CONTRASTIVE_VIEW]),
                dict(type='PackInputs')]


def _batch(imgs):
    return torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).float()


def _wrapping_adjust_hue(img, hue_factor, backend=None):
    """``mmcv.adjust_hue(backend='pillow')`` with NumPy 1's wrapping shift (NumPy 2 raises for
    negative factors; the batched kernel wraps)."""
    h, s, v = Image.fromarray(img[..., ::-1], mode='RGB').convert('HSV').split()
    np_h = np.array(h, dtype=np.uint8) + np.uint8(int(hue_factor * 255) % 256)
    rgb = Image.merge('HSV', (Image.fromarray(np_h, 'L'), s, v)).convert('RGB')
    return np.array(rgb)[..., ::-1]


# ----------------------------------------------------------------------------------------------
# random parameters vs the CPU transforms' draws
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize('h,w,kwargs', [
    (32, 32, dict(crop_ratio_range=(0.2, 1.0))),
    # tall image, extreme aspect ratios, 2 attempts: a third of the draws fall back
    (32, 16, dict(crop_ratio_range=(0.6, 1.0), aspect_ratio_range=(0.25, 4.0), max_attempts=2)),
])
def test_resized_crop_windows_distributed_like_cpu(h, w, kwargs):
    n = 8000
    cpu = TRANSFORMS.build(dict(type='RandomResizedCrop', scale=32, backend='pillow', **kwargs))
    img = np.zeros((h, w, 3), np.uint8)
    np.random.seed(0)
    ref = np.array([cpu.rand_crop_params(img) for _ in range(n)], dtype=np.float64)
    step = BatchRandomResizedCrop.from_transform(cpu)
    got = torch.stack(step.sample(n, h, w, torch.Generator().manual_seed(0), 'cpu'), 1).numpy()
    assert np.all(got == np.round(got)) and np.all(got[:, 2:] >= 1)
    assert np.all(got[:, 0] + got[:, 2] <= h) and np.all(got[:, 1] + got[:, 3] <= w)
    for col in range(4):  # oy, ox, th, tw
        assert abs(got[:, col].mean() - ref[:, col].mean()) < 0.03 * h, col
        assert abs(got[:, col].std() - ref[:, col].std()) < 0.03 * h, col
    area, ref_area = got[:, 2] * got[:, 3], ref[:, 2] * ref[:, 3]
    assert abs(area.mean() - ref_area.mean()) < 0.02 * h * w
    whole = np.mean((got[:, 2] == h) & (got[:, 3] == w))  # the fallback, when it is common
    ref_whole = np.mean((ref[:, 2] == h) & (ref[:, 3] == w))
    assert abs(whole - ref_whole) < 0.02
    if kwargs.get('max_attempts') == 2:
        assert ref_whole > 0.2  # the case exercises the fallback


def test_color_jitter_order_and_factors_distributed_like_cpu():
    n = 12000
    cpu = TRANSFORMS.build(dict(type='ColorJitter', brightness=0.4, contrast=(0.2, 0.5),
                                saturation=0., hue=0.1))
    np.random.seed(0)
    ref = [cpu._rand_params() for _ in range(n)]
    order, factors = BatchColorJitter.from_transform(cpu).sample(
        n, torch.Generator().manual_seed(0), 'cpu')
    assert factors[2] is None and ref[0][3] is None  # saturation=0: disabled on both
    ref_order = np.stack([r[0] for r in ref])
    for slot in range(4):  # each op equally likely in each position
        got_freq = np.bincount(order[:, slot].numpy(), minlength=4) / n
        ref_freq = np.bincount(ref_order[:, slot], minlength=4) / n
        assert np.all(np.abs(got_freq - ref_freq) < 0.03)
    assert all(sorted(p) == [0, 1, 2, 3] for p in order[:50].tolist())
    for k in (0, 1, 3):
        got, want = factors[k].numpy(), np.array([r[k + 1] for r in ref])
        assert abs(got.mean() - want.mean()) < 0.01 and abs(got.std() - want.std()) < 0.01
        assert want.min() - 0.01 < got.min() and got.max() < want.max() + 0.01


def test_grayscale_blur_and_random_apply_rates_like_cpu():
    n = 4000
    img = np.full((2, 2, 3), (10, 200, 90), np.uint8)
    x = _batch(np.repeat(img[None], n, 0))
    g = torch.Generator().manual_seed(0)
    np.random.seed(0)
    cases = [(dict(type='RandomGrayscale', prob=0.2, keep_channels=True), 'gray'),
             (dict(type='RandomApply', prob=0.8, transforms=[dict(type='Invert', prob=1.0)]),
              'inverted')]
    for cfg, what in cases:
        cpu = TRANSFORMS.build(cfg)
        ref = np.stack([cpu.transform(dict(img=img.copy()))['img'] for _ in range(n)])
        out = build_batch_pipeline([cfg])(x, g).permute(0, 2, 3, 1).numpy()
        changed = np.any(out != img, axis=(1, 2, 3)).mean()
        assert abs(changed - np.any(ref != img, axis=(1, 2, 3)).mean()) < 0.03, what
    # GaussianBlur: probability and radius U(0.1, 2.0), drawn like a BaseAugTransform magnitude
    cfg = dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5)
    cpu = TRANSFORMS.build(cfg)
    applied, radius = OpSpec(cpu, GAUSSIAN_BLUR).sample(n, g, 'cpu')
    ref_applied = np.array([not cpu.random_disable() for _ in range(n)])
    ref_radius = np.array([cpu.random_magnitude() for _ in range(n)])
    assert abs(applied.float().mean().item() - ref_applied.mean()) < 0.03
    assert abs(radius.mean().item() - ref_radius.mean()) < 0.03
    assert abs(radius.std().item() - ref_radius.std()) < 0.03
    assert radius.min() >= 0.1 and radius.max() <= 2.0


def test_contrastive_view_pipeline_distribution_matches_cpu(synthetic_images, monkeypatch):
    """The BCL contrastive view, CPU (MMPretrain/MMCV transforms) vs batched: 4 images augmented
    200 times each; the per-channel means and spreads and the grey fraction agree (tolerances
    about 3.5 standard errors of the difference)."""
    monkeypatch.setattr(mmcv, 'adjust_hue', _wrapping_adjust_hue)
    cpu = Compose([TRANSFORMS.build(t) for t in CONTRASTIVE_VIEW])
    imgs, reps = synthetic_images(4, seed=11), 200
    np.random.seed(0)
    ref = np.stack([cpu(dict(img=im.copy()))['img'] for im in np.repeat(imgs, reps, 0)])
    out = build_batch_pipeline(CONTRASTIVE_VIEW)(_batch(np.repeat(imgs, reps, 0)),
                                                 torch.Generator().manual_seed(0))
    out = out.permute(0, 2, 3, 1).numpy()
    assert np.all(np.abs(out.mean((0, 1, 2)) - ref.mean((0, 1, 2))) < 6.0)
    assert np.all(np.abs(out.std((0, 1, 2)) - ref.std((0, 1, 2))) < 4.0)
    grey = np.all(out[..., :1] == out, axis=(1, 2, 3)).mean()
    ref_grey = np.all(ref[..., :1] == ref, axis=(1, 2, 3)).mean()
    assert abs(grey - ref_grey) < 0.06 and ref_grey > 0.1


# ----------------------------------------------------------------------------------------------
# MultiView
# ----------------------------------------------------------------------------------------------
def test_multiview_builds_views_in_num_views_order(synthetic_images):
    imgs = synthetic_images(6, seed=2)
    x = _batch(imgs)
    invert, posterize = [dict(type='Invert', prob=1.0)], [dict(type='Posterize', bits=4,
                                                                   prob=1.0)]
    for num_views, want in (([1, 2], ['inv', 'post', 'post']), ([2, 1], ['inv', 'inv', 'post'])):
        pipe = build_batch_pipeline([dict(type='MultiView', num_views=num_views,
                                          transforms=[invert, posterize])])
        views = pipe(x, torch.Generator().manual_seed(0))
        assert pipe.num_views == len(views) == 3
        expected = dict(inv=255 - x, post=torch.floor(x / 16) * 16)
        for v, name in zip(views, want):
            assert v.shape == x.shape and v.dtype == torch.float32
            assert torch.equal(v, expected[name])
    assert build_batch_pipeline(CLS_VIEW).num_views is None  # single view: one tensor


def test_bcl_multiview_pipeline_gives_three_independent_views(synthetic_images):
    pipe = build_batch_pipeline(BCL_PIPELINE)
    assert pipe.num_views == 3 and 'MultiView' in repr(pipe)
    x = _batch(np.repeat(synthetic_images(1, seed=4), 16, 0))
    views = pipe(x, torch.Generator().manual_seed(0))
    assert [tuple(v.shape) for v in views] == [(16, 3, 32, 32)] * 3
    assert all(torch.equal(v, v.round()) and v.min() >= 0 and v.max() <= 255 for v in views)
    # the two contrastive views of a sample are different draws, and samples differ
    assert sum(not torch.equal(a, b) for a, b in zip(views[1], views[2])) >= 14
    assert len({tuple(v.flatten()[:64].tolist()) for v in views[1]}) >= 14


def test_unsupported_transforms_inside_wrappers_are_named():
    cases = [
        ([dict(type='MultiView', num_views=[1, 2],
               transforms=[CLS_VIEW, [dict(type='RandomErasing')]])],
         'inside MultiView pipeline 2.*RandomErasing'),
        ([dict(type='RandomApply', transforms=[dict(type='RandomErasing')])],
         'inside RandomApply.*RandomErasing'),
        ([dict(type='MultiView', num_views=2, transforms=[CLS_VIEW]), dict(type='Invert')],
         'Invert after MultiView'),
        ([dict(type='MultiView', num_views=2, transforms=[
            [dict(type='MultiView', num_views=2, transforms=[CLS_VIEW])]])],
         'MultiView inside MultiView'),
        ([dict(type='ColorJitter', brightness=0.4, backend='cv2')], "backend='cv2'"),
        ([dict(type='RandomGrayscale', prob=0.2)], 'keep_channels=False'),
    ]
    for transforms, message in cases:
        with pytest.raises(UnsupportedTransformError, match=message):
            build_batch_pipeline(transforms)
