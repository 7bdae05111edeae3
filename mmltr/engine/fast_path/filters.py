"""Batched separable filters that reproduce Pillow bit for bit: resizing a per-sample crop
(``RandomResizedCrop`` with ``backend='pillow'``) and ``ImageFilter.GaussianBlur``.

Images are ``float`` tensors ``(N, C, H, W)`` holding integer values 0-255; per-sample parameters
are ``(N,)`` tensors. Both filters are separable: each pass multiplies the image by a per-sample
``(N, out, in)`` weight matrix built from the sample's parameters.

Pillow filters uint8 images in fixed point: integer weights (22 bits for resampling, 24 bits for
the box blur), an integer sum per output pixel, a rounding shift and a clip to 0-255 after every
pass. The weights here are those integers, computed with Pillow's formulas and float precisions;
the passes run in float64, where every sum is an exact integer (< 2**53), so the results are
Pillow's exactly. (OpenCV's resize, ``backend='cv2'``, uses 11-bit weights and rounds differently
in its SIMD and scalar paths; it is not reproduced.)
"""
import math
from typing import Callable, Dict, Tuple

import PIL
import torch

from .utils import exact_div, where_samples

__all__ = ['PIL_FILTERS', 'resample_matrix', 'resized_crop', 'pil_blur_radius', 'gaussian_blur']

_F64 = torch.float64


# ----------------------------------------------------------------------------------------------
# resampling (Pillow's Resample.c)
# ----------------------------------------------------------------------------------------------
def _pil_bilinear(x: torch.Tensor) -> torch.Tensor:
    x = x.abs()
    return torch.where(x < 1.0, 1.0 - x, 0.0)


def _pil_bicubic(x: torch.Tensor) -> torch.Tensor:
    a = -0.5  # Pillow's bicubic kernel (cv2 uses a = -0.75)
    x = x.abs()
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return torch.where(x < 1.0, near, torch.where(x < 2.0, far, 0.0))


#: Pillow filter name -> (kernel, support).
PIL_FILTERS: Dict[str, Tuple[Callable, float]] = dict(
    bilinear=(_pil_bilinear, 1.0), bicubic=(_pil_bicubic, 2.0))
_PIL_BITS = 22  # Pillow's PRECISION_BITS for 8-bit images
_PIL_MAJOR = int(PIL.__version__.split('.')[0])


def _pil_taps(length: torch.Tensor, out_size: int, max_scale: float,
              interpolation: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """Pillow's ``precompute_coeffs`` + ``normalize_coeffs_8bpc`` for a box ``[0, length)``:
    ``(first, weights)``, the first input index ``(N, out, 1)`` and the integer weights
    ``(N, out, K)`` of the ``K`` taps from it (zero beyond each row's window)."""
    kernel, support0 = PIL_FILTERS[interpolation]
    n = length.numel()
    length = length.to(_F64).view(n, 1, 1)
    scale = exact_div(length, out_size)
    filterscale = scale.clamp_min(1.0)
    support = support0 * filterscale
    inv_filterscale = torch.ones_like(filterscale) / filterscale
    k = int(math.ceil(support0 * max(max_scale, 1.0))) * 2 + 1
    xx = torch.arange(out_size, device=length.device, dtype=_F64).view(1, out_size, 1)
    center = (xx + 0.5) * scale
    first = torch.trunc(center - support + 0.5).clamp_min(0.0)
    count = torch.minimum(torch.trunc(center + support + 0.5), length) - first
    taps = torch.arange(k, device=length.device, dtype=_F64).view(1, 1, k)
    valid = taps < count
    w = torch.where(valid, kernel((taps + first - center + 0.5) * inv_filterscale), 0.0)
    total = w[..., 0]
    for t in range(1, k):  # Pillow sums the taps in order
        total = total + w[..., t]
    total = total.unsqueeze(-1)
    w = torch.where(total != 0.0, w / total, w)
    unit = float(1 << _PIL_BITS)
    w = torch.where(w < 0, torch.trunc(-0.5 + w * unit), torch.trunc(0.5 + w * unit))
    return first, torch.where(valid, w, 0.0)


def resample_matrix(offset: torch.Tensor, length: torch.Tensor, out_size: int, in_size: int,
                    interpolation: str = 'bilinear') -> torch.Tensor:
    """``(N, out_size, in_size)`` float64 integer weights (in units of ``2**-22``) with which
    Pillow resizes the window ``[offset, offset + length)`` of an axis of ``in_size`` pixels to
    ``out_size``."""
    first, w = _pil_taps(length, out_size, in_size / out_size, interpolation)
    n, k = length.numel(), w.size(-1)
    taps = torch.arange(k, device=length.device, dtype=_F64).view(1, 1, k)
    last = (length.to(_F64) - 1).view(n, 1, 1)
    cols = offset.to(_F64).view(n, 1, 1) + torch.minimum(first + taps, last)
    mat = torch.zeros(n, out_size, in_size, dtype=_F64, device=length.device)
    return mat.scatter_add_(2, cols.long(), w)


def _pil_pass(v: torch.Tensor, bits: int) -> torch.Tensor:
    """Pillow's ``clip8((sum + 2**(bits-1)) >> bits)`` on exact float64 sums."""
    return torch.floor((v + float(1 << (bits - 1))) / float(1 << bits)).clamp(0.0, 255.0)


def _pil_vertical_first(th: torch.Tensor, tw: torch.Tensor, size: Tuple[int, int]):
    """Whether Pillow resizes a ``(th, tw)`` image to ``size`` column-wise first: since Pillow 13
    when the height shrinks by more than twice as many pixels as the width (before: never)."""
    if _PIL_MAJOR < 13:
        return torch.zeros_like(th, dtype=torch.bool)
    return (th > size[0]) & (th - size[0] > 2 * (tw - size[1]))


def resized_crop(x: torch.Tensor, oy: torch.Tensor, ox: torch.Tensor, th: torch.Tensor,
                 tw: torch.Tensor, size: Tuple[int, int],
                 interpolation: str = 'bilinear') -> torch.Tensor:
    """The window ``(oy, ox, th, tw)`` of each sample resized to ``size = (h, w)``:
    ``mmcv.imresize(mmcv.imcrop(img, box), (w, h), interpolation, backend='pillow')``, exact.

    Pillow resizes in two passes, rounding to uint8 in between, rows first (columns first since
    Pillow 13 when the height shrinks much more than the width, :func:`_pil_vertical_first`).
    """
    h, w = x.shape[-2:]
    wy = resample_matrix(oy, th, size[0], h, interpolation).unsqueeze(1)
    wx = resample_matrix(ox, tw, size[1], w, interpolation).unsqueeze(1).transpose(-1, -2)
    v = x.to(_F64)
    out = _pil_pass(wy @ _pil_pass(v @ wx, _PIL_BITS), _PIL_BITS)
    if _PIL_MAJOR >= 13 and size[0] < h:  # some samples may be resized columns first
        cols_first = _pil_pass(_pil_pass(wy @ v, _PIL_BITS) @ wx, _PIL_BITS)
        out = where_samples(_pil_vertical_first(th, tw, size), cols_first, out)
    return out.to(x.dtype)


# ----------------------------------------------------------------------------------------------
# Gaussian blur (Pillow's BoxBlur.c)
# ----------------------------------------------------------------------------------------------
_BLUR_BITS = 24
_BLUR_PASSES = 3


def pil_blur_radius(radius: torch.Tensor, passes: int = _BLUR_PASSES) -> torch.Tensor:
    """Pillow's ``_gaussian_blur_radius``: the (fractional) radius of the ``passes`` box blurs
    that approximate a Gaussian of standard deviation ``radius`` (float32 as in C, where the
    square root and floor are double)."""
    r = radius.to(torch.float32)
    sigma2 = exact_div(r * r, passes)
    box = torch.sqrt(12.0 * sigma2.to(_F64) + 1.0).to(torch.float32)
    whole = torch.floor((box.to(_F64) - 1.0) / 2.0).to(torch.float32)
    frac = (2 * whole + 1) * (whole * (whole + 1) - 3 * sigma2)
    frac = frac / (6 * (sigma2 - (whole + 1) * (whole + 1)))
    return whole + frac


def _box_matrix(radius: torch.Tensor, size: int) -> torch.Tensor:
    """``(N, size, size)`` integer weights of one Pillow box-blur pass of the (float32) radius:
    ``ww`` for the ``2r + 1`` pixels of the window, ``fw`` for the two next to it (the fraction),
    indices clamped at the borders (edge pixels repeat)."""
    n = radius.numel()
    rad = radius.view(n, 1, 1)
    r = torch.trunc(rad).to(_F64)
    ww = torch.trunc(torch.full_like(rad, float(1 << _BLUR_BITS)) / (rad * 2 + 1)).to(_F64)
    fw = torch.floor((float(1 << _BLUR_BITS) - (2 * r + 1) * ww) / 2)
    pos = torch.arange(size, device=radius.device, dtype=_F64)
    out, src = pos.view(1, size, 1), pos.view(1, 1, size)
    # how many window positions x + k (|k| <= r) land on src once clamped to [0, size - 1]
    inner = ((src - out).abs() <= r) & (src > 0) & (src < size - 1)
    below = (r - out + 1).clamp_min(0.0).minimum(2 * r + 1)  # clamped onto 0
    above = (out + r - size + 2).clamp_min(0.0).minimum(2 * r + 1)  # clamped onto size - 1
    count = inner.to(_F64) + torch.where(src == 0, below, 0.0) + torch.where(
        src == size - 1, above, 0.0)
    if size == 1:  # both clamps land on the one pixel
        count = torch.full_like(count, 1.0) * (2 * r + 1)
    left = (out - r - 1).clamp(0, size - 1)
    right = (out + r + 1).clamp(0, size - 1)
    far = (src == left).to(_F64) + (src == right).to(_F64)
    return ww * count + fw * far


def gaussian_blur(x: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """MMPretrain ``GaussianBlur``: ``PIL.ImageFilter.GaussianBlur(radius)`` per sample (three
    box blurs along the rows, then three along the columns, each rounded to uint8): exact."""
    box = pil_blur_radius(radius)
    h, w = x.shape[-2:]
    mx = _box_matrix(box, w).unsqueeze(1).transpose(-1, -2)
    my = _box_matrix(box, h).unsqueeze(1)
    v = x.to(_F64)
    for _ in range(_BLUR_PASSES):
        v = _pil_pass(torch.matmul(v, mx), _BLUR_BITS)
    for _ in range(_BLUR_PASSES):
        v = _pil_pass(torch.matmul(my, v), _BLUR_BITS)
    return v.to(x.dtype)
