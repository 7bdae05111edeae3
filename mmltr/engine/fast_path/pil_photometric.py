"""Batched ``PIL.ImageEnhance`` ops (Contrast, Color, Brightness, Sharpness) with Pillow's
arithmetic.

The kernels of :mod:`.photometric` follow mmcv, which MMPretrain's ops call. Difficulty-Net's
CIFAR augmentation calls PIL, which differs in three places; these kernels follow PIL:

* the blend: ``Image.blend(degenerate, image, f)`` is ``deg + f * (img - deg)`` in ``float32``
  (``f`` cast to ``float32``), truncated and clipped to 0-255;
* the grey image (Color, Contrast): ITU-R 601 luma on **RGB**,
  ``(19595 R + 38470 G + 7471 B + 32768) >> 16``; Contrast blends with the mean of that grey
  image rounded half up, ``int(mean + 0.5)``;
* Sharpness: the 3x3 SMOOTH filter (``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13``, rounded) on the
  interior only; the 1-pixel border of the degenerate image is the image itself, so the border
  is never changed.

Images are ``float`` tensors ``(N, C, H, W)`` holding integer values 0-255, RGB (or one grey
channel, PIL's ``'L'`` mode: Color leaves it unchanged); factors are ``(N,)`` tensors. The
results equal PIL's exactly (the tests compare every pixel).
"""
import torch
import torch.nn.functional as F

from .photometric import _SMOOTH
from .utils import per_sample, trunc_u8

__all__ = ['pil_blend', 'pil_luma', 'pil_contrast', 'pil_color', 'pil_brightness',
           'pil_sharpness']


def pil_blend(degenerate: torch.Tensor, x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``Image.blend(degenerate, image, factor)``: ``deg + f * (img - deg)`` in float32,
    truncated and clipped to 0-255."""
    f = per_sample(factor).to(torch.float32)
    deg = degenerate.to(torch.float32)
    return trunc_u8(deg + f * (x.to(torch.float32) - deg)).to(x.dtype)


def pil_luma(x: torch.Tensor) -> torch.Tensor:
    """``image.convert('L')``: ``(N, 1, H, W)``; a one-channel image is its own grey image."""
    if x.size(1) == 1:
        return x
    if x.size(1) != 3:
        raise ValueError(f'colour ops need 1 or 3 channels, got {x.size(1)}.')
    v = x.to(torch.float64)
    acc = v[:, 0:1] * 19595.0 + v[:, 1:2] * 38470.0 + v[:, 2:3] * 7471.0 + 32768.0
    return torch.floor(acc / 65536.0).to(x.dtype)


def pil_contrast(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``ImageEnhance.Contrast(img).enhance(f)``: blend with the rounded mean grey level."""
    mean = pil_luma(x).to(torch.float64).mean(dim=(1, 2, 3))
    degenerate = per_sample(torch.floor(mean + 0.5)).expand_as(x)
    return pil_blend(degenerate, x, factor)


def pil_color(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``ImageEnhance.Color(img).enhance(f)``: blend with the grey image."""
    return pil_blend(pil_luma(x).expand_as(x), x, factor)


def pil_brightness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``ImageEnhance.Brightness(img).enhance(f)``: blend with black."""
    return pil_blend(torch.zeros_like(x), x, factor)


def pil_sharpness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``ImageEnhance.Sharpness(img).enhance(f)``: blend with the SMOOTH-filtered image, whose
    1-pixel border is the image's own."""
    c = x.size(1)
    kernel = _SMOOTH.to(device=x.device, dtype=x.dtype).view(1, 1, 3, 3).repeat(c, 1, 1, 1)
    smooth = torch.floor(F.conv2d(x, kernel, groups=c) / 13.0 + 0.5)
    degenerate = x.clone()
    degenerate[:, :, 1:-1, 1:-1] = smooth
    return pil_blend(degenerate, x, factor)
