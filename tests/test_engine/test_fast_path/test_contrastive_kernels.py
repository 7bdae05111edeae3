"""Kernels of the contrastive-view steps vs MMPretrain's / MMCV's CPU transforms, with the random
parameters fixed: RandomResizedCrop (Pillow backend), GaussianBlur, ColorJitter and
RandomGrayscale agree exactly, on synthetic and real CIFAR-10 images."""
import glob
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS
from PIL import Image, ImageFilter

import mmltr  # noqa: F401
from mmltr.engine.fast_path import build_batch_pipeline
from mmltr.engine.fast_path import filters as F
from mmltr.engine.fast_path.contrastive import (
    BatchColorJitter,
    BatchRandomGrayscale,
    BatchRandomResizedCrop,
)

init_default_scope('mmpretrain')
torch.set_num_threads(1)

CIFAR_JPEG = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'data',
                      'cifar10-jpeg', 'test')
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.fixture
def images(synthetic_images):
    """(N, 32, 32, 3) uint8 BGR (as LoadImageFromFile reads): synthetic, plus 12 real CIFAR-10
    test images where the dataset is on this machine."""
    imgs = [synthetic_images(8, seed=5)]
    files = sorted(glob.glob(osp.join(CIFAR_JPEG, '*', '000[0-1].jpg')))[:12]
    if files:
        imgs.append(np.stack([mmcv.imfrombytes(open(f, 'rb').read()) for f in files]))
    return np.concatenate(imgs)


def _batch(imgs, device='cpu'):
    return torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).float().to(device)


def _hwc(x):
    return x.permute(0, 2, 3, 1).cpu().numpy()


# ----------------------------------------------------------------------------------------------
# RandomResizedCrop
# ----------------------------------------------------------------------------------------------
def _windows(rng, n, h, w):
    """Random windows (oy, ox, th, tw), every size from 1 pixel to the whole image."""
    th, tw = rng.randint(1, h + 1, n), rng.randint(1, w + 1, n)
    oy, ox = rng.randint(0, h - th + 1), rng.randint(0, w - tw + 1)
    return np.stack([oy, ox, th, tw], 1)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('interpolation', ['bilinear', 'bicubic'])
@pytest.mark.parametrize('scale', [32, (20, 26)])
def test_resized_crop_matches_mmpretrain(images, interpolation, scale, device):
    """Exact: Pillow's fixed-point weights, rounding between passes and pass order."""
    imgs = images[:, :, :28]  # 32 x 28: non-square windows and both shrinking and enlarging
    n, h, w = imgs.shape[:3]
    rng = np.random.RandomState(0)
    params = np.concatenate([_windows(rng, n, h, w), _windows(rng, n, h, w)])
    imgs = np.concatenate([imgs, imgs])
    cfg = dict(type='RandomResizedCrop', scale=scale, backend='pillow',
               interpolation=interpolation)
    cpu = TRANSFORMS.build(cfg)
    ref = []
    for img, p in zip(imgs, params):
        cpu.rand_crop_params = lambda _, p=p: tuple(int(v) for v in p)  # fix the window
        ref.append(cpu.transform(dict(img=img.copy()))['img'])
    step = BatchRandomResizedCrop.from_transform(cpu)
    p = torch.from_numpy(params).to(device, torch.float64)
    out = _hwc(step.apply(_batch(imgs, device), p.unbind(1)))
    assert out.shape == (len(imgs), ) + step.scale + (3, )
    assert np.array_equal(out, np.stack(ref)), f'{np.mean(out != np.stack(ref)):.2%} differ'
    if scale != 32:  # Pillow >= 13 resizes some of these windows columns first
        order = F._pil_vertical_first(p[:, 2], p[:, 3], step.scale)
        assert F._PIL_MAJOR < 13 or 0 < int(order.sum()) < len(order)


def test_unsupported_resize_is_named():
    for cfg in (dict(interpolation='lanczos', backend='pillow'), dict(backend='cv2')):
        with pytest.raises(NotImplementedError, match='RandomResizedCrop.*backend='):
            build_batch_pipeline([dict(type='RandomResizedCrop', scale=32, **cfg)])


# ----------------------------------------------------------------------------------------------
# GaussianBlur
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize('device', DEVICES)
def test_gaussian_blur_matches_pillow(images, device):
    """Per-sample radii through the kernel; a fixed radius through MMPretrain's transform."""
    rng = np.random.RandomState(1)
    radii = np.concatenate([rng.uniform(0.1, 2.0, len(images)), [0.3, 1.0, 2.0, 4.5, 17.0]])
    imgs = np.concatenate([images, images[:5]])
    out = _hwc(F.gaussian_blur(_batch(imgs, device), torch.tensor(radii, device=device)))
    ref = np.stack([np.asarray(Image.fromarray(im).filter(ImageFilter.GaussianBlur(float(r))))
                    for im, r in zip(imgs, radii)])
    assert np.array_equal(out, ref)
    cfg = dict(type='GaussianBlur', radius=1.3, prob=1.0)
    ref = np.stack([TRANSFORMS.build(cfg).transform(dict(img=im.copy()))['img'] for im in images])
    out = build_batch_pipeline([cfg])(_batch(images, device), torch.Generator(device))
    assert np.array_equal(_hwc(out), ref)


def test_blur_box_radius_follows_pillow():
    """Pillow's box radius for sigma (https://www.mia.uni-saarland.de/Publications/
    gwosdek-ssvm11.pdf, eqs. 7, 11, 14), from the paper's formulas in double precision."""
    for sigma in (0.1, 0.8, 1.0, 2.0, 5.0):
        s2 = sigma * sigma / 3
        length = np.sqrt(12 * s2 + 1)
        whole = np.floor((length - 1) / 2)
        frac = (2 * whole + 1) * (whole * (whole + 1) - 3 * s2) / (6 * (s2 - (whole + 1)**2))
        got = float(F.pil_blur_radius(torch.tensor([sigma]))[0])
        assert abs(got - (whole + frac)) < 1e-5


# ----------------------------------------------------------------------------------------------
# ColorJitter, RandomGrayscale
# ----------------------------------------------------------------------------------------------
def _jitter_params(rng, n, hue):
    order = np.stack([rng.permutation(4) for _ in range(n)])
    factors = [rng.uniform(0.6, 1.4, n) for _ in range(3)] + [rng.uniform(*hue, n)]
    return order, factors


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('hue', [(0.0, 0.5), (-0.5, 0.0)])
def test_color_jitter_matches_mmpretrain(images, hue, device):
    imgs = np.concatenate([images, images])
    imgs[0] = 77  # a grey image (hue and saturation undefined)
    order, factors = _jitter_params(np.random.RandomState(2), len(imgs), hue)
    cfg = dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.5)
    cpu = TRANSFORMS.build(cfg)  # negative hue factors: mmltr's fix of mmcv.adjust_hue
    ref = []
    for k, img in enumerate(imgs):
        params = (order[k], ) + tuple(f[k] for f in factors)
        cpu._rand_params = lambda p=params: p  # fix the order and the factors
        ref.append(cpu.transform(dict(img=img.copy()))['img'])
    step = BatchColorJitter.from_transform(cpu)
    out = step.apply(_batch(imgs, device), torch.from_numpy(order).to(device),
                     [torch.from_numpy(f).to(device) for f in factors])
    assert np.array_equal(_hwc(out), np.stack(ref))


@pytest.mark.parametrize('device', DEVICES)
def test_random_grayscale_matches_mmcv(images, device):
    cfg = dict(type='RandomGrayscale', prob=1.0, keep_channels=True,
               channel_weights=(0.114, 0.587, 0.2989))
    cpu = TRANSFORMS.build(cfg)
    ref = np.stack([cpu.transform(dict(img=im.copy()))['img'] for im in images])
    step = BatchRandomGrayscale.from_transform(cpu)
    out = step(_batch(images, device), torch.Generator(device))
    assert np.array_equal(_hwc(out), ref)
    # the weights apply in the pipeline's channel order (BGR for files): B gets 0.114
    one = torch.zeros(1, 3, 1, 1, device=device)
    one[0, 0] = 255.0
    assert float(step(one, torch.Generator(device))[0, 1, 0, 0]) == np.floor(255 * 0.114 / 0.9999)
