"""Batched geometric kernels: affine warps (Shear, Translate, Rotate), padding and crops, flips,
cut-out holes.

Images are ``float`` tensors ``(N, C, H, W)`` holding integer values 0-255; per-sample parameters
are ``(N,)`` tensors. Warps follow ``cv2.warpAffine`` as ``mmcv`` calls it: ``grid_sample`` for
bilinear / bicubic (the same ``a = -0.75`` bicubic kernel as cv2, but cv2 quantises sub-pixel
positions to 1/32 px) and an exact ``floor(x + 0.5)`` lookup for nearest (cv2's rule).
"""
import math
from numbers import Number
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from .utils import UnsupportedTransformError, fill_tensor, round_u8, where_samples

__all__ = [
    'warp_affine', 'shear', 'translate', 'rotate', 'pad', 'padding4', 'crop', 'flip', 'cutout',
    'devries_cutout'
]


# ----------------------------------------------------------------------------------------------
# affine warps
# ----------------------------------------------------------------------------------------------
def warp_affine(x: torch.Tensor, matrix: torch.Tensor, fill: torch.Tensor,
                interpolation: str = 'nearest') -> torch.Tensor:
    """Batched ``cv2.warpAffine(img, M, (W, H), flags, BORDER_CONSTANT, fill)``.

    ``matrix`` is the *forward* (src -> dst) ``(N, 2, 3)`` matrix in pixel coordinates, as cv2
    takes it; ``dst(p) = src(M^-1 p)``. The output is rounded and clipped to 0-255.
    """
    n, c, h, w = x.shape
    m = matrix.to(torch.float64)
    a, b, tx = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    cc, d, ty = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
    det = a * d - b * cc
    ia, ib, ic, id_ = d / det, -b / det, -cc / det, a / det
    ys = torch.arange(h, device=x.device, dtype=torch.float64).view(1, h, 1)
    xs = torch.arange(w, device=x.device, dtype=torch.float64).view(1, 1, w)
    px = xs - tx.view(n, 1, 1)
    py = ys - ty.view(n, 1, 1)
    sx = ia.view(n, 1, 1) * px + ib.view(n, 1, 1) * py
    sy = ic.view(n, 1, 1) * px + id_.view(n, 1, 1) * py
    if interpolation == 'nearest':
        ix = torch.floor(sx + 0.5).long()
        iy = torch.floor(sy + 0.5).long()
        valid = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        flat = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).view(n, 1, h * w).expand(n, c, h * w)
        out = torch.gather(x.reshape(n, c, h * w), 2, flat).view(n, c, h, w)
        return torch.where(valid.unsqueeze(1), out, fill.expand(n, c, h, w))
    if interpolation not in ('bilinear', 'bicubic'):
        raise UnsupportedTransformError(f'interpolation {interpolation!r} is not supported on '
                                        "the fast path (use 'nearest', 'bilinear' or 'bicubic').")
    grid = torch.stack([(2.0 * sx + 1.0) / w - 1.0, (2.0 * sy + 1.0) / h - 1.0], dim=-1)
    src = (x - fill).float()
    out = F.grid_sample(src, grid.to(src.dtype), mode=interpolation, padding_mode='zeros',
                        align_corners=False)
    return round_u8(out.to(x.dtype) + fill)


def _identity_plus(value: torch.Tensor, row: int, col: int) -> torch.Tensor:
    """``(N, 2, 3)`` float64 identity affine matrices with entry ``[row, col]`` set to ``value``."""
    m = torch.zeros(value.numel(), 2, 3, dtype=torch.float64, device=value.device)
    m[:, 0, 0] = 1
    m[:, 1, 1] = 1
    m[:, row, col] = value.to(torch.float64)
    return m


def _rotation_matrix(angle: torch.Tensor, center: Tuple[float, float],
                     scale: float) -> torch.Tensor:
    """``cv2.getRotationMatrix2D(center, -angle, scale)`` (positive angle = clockwise)."""
    theta = -angle.to(torch.float64) * math.pi / 180.0
    alpha = scale * torch.cos(theta)
    beta = scale * torch.sin(theta)
    cx, cy = center
    return torch.stack([
        torch.stack([alpha, beta, (1 - alpha) * cx - beta * cy], dim=-1),
        torch.stack([-beta, alpha, beta * cx + (1 - alpha) * cy], dim=-1),
    ], dim=1)


def shear(x, mag, direction='horizontal', pad_val=128, interpolation='bicubic'):
    """MMPretrain ``Shear``: ``[[1, m, 0], [0, 1, 0]]`` (``[[1, 0, 0], [m, 1, 0]]`` vertical)."""
    matrix = _identity_plus(mag, *((0, 1) if direction == 'horizontal' else (1, 0)))
    return warp_affine(x, matrix, fill_tensor(pad_val, x.size(1), x), interpolation)


def translate(x, mag, direction='horizontal', pad_val=128, interpolation='nearest'):
    """MMPretrain ``Translate``: offset ``m * W`` (``m * H`` vertical)."""
    size = x.size(3) if direction == 'horizontal' else x.size(2)
    offset = mag.to(torch.float64) * size
    matrix = _identity_plus(offset, *((0, 2) if direction == 'horizontal' else (1, 2)))
    return warp_affine(x, matrix, fill_tensor(pad_val, x.size(1), x), interpolation)


def rotate(x, angle, center=None, scale=1.0, pad_val=128, interpolation='nearest'):
    """MMPretrain ``Rotate``: ``cv2.getRotationMatrix2D(center, -angle, scale)`` about
    ``((W-1)/2, (H-1)/2)`` by default.

    As in mmcv, an *integer* ``pad_val`` fills only the first channel (cv2 ``Scalar(v)``):
    ``(v, 0, 0)``; give a per-channel tuple for a grey fill.
    """
    h, w = x.shape[-2:]
    if center is None:
        center = ((w - 1) * 0.5, (h - 1) * 0.5)
    if isinstance(pad_val, Number):
        # mmcv.imrotate hands an int border value to cv2 as Scalar(v): only the first channel
        # gets v, the others 0 (MMPretrain's Rotate(pad_val=128) fills with (128, 0, 0)). Mirror
        # it; a per-channel tuple pad_val gives a uniform fill on both paths.
        pad_val = [float(pad_val)] + [0.0] * (x.size(1) - 1)
    return warp_affine(x, _rotation_matrix(angle, tuple(center), float(scale)),
                       fill_tensor(pad_val, x.size(1), x), interpolation)


# ----------------------------------------------------------------------------------------------
# padding, crops, flips
# ----------------------------------------------------------------------------------------------
def padding4(padding) -> Tuple[int, int, int, int]:
    """``mmcv.impad``'s padding: int, ``(lr, tb)`` or ``(left, top, right, bottom)``."""
    if isinstance(padding, Number):
        p = int(padding)
        return p, p, p, p
    padding = tuple(int(v) for v in padding)
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return padding
    raise ValueError(f'bad padding {padding!r}')


def pad(x, left: int, top: int, right: int, bottom: int, pad_val=0, mode: str = 'constant'):
    """``mmcv.impad``: ``constant`` (``pad_val``), ``edge`` or ``reflect`` padding."""
    if not (left or top or right or bottom):
        return x
    if mode == 'constant':
        fill = fill_tensor(pad_val, x.size(1), x)
        out = F.pad(x - fill, (left, right, top, bottom), mode='constant', value=0.0)
        return out + fill
    torch_mode = {'edge': 'replicate', 'reflect': 'reflect', 'symmetric': None}[mode]
    if torch_mode is None:
        raise UnsupportedTransformError("RandomCrop padding_mode='symmetric' on the fast path")
    return F.pad(x, (left, right, top, bottom), mode=torch_mode)


def crop(x: torch.Tensor, oy: torch.Tensor, ox: torch.Tensor, th: int, tw: int) -> torch.Tensor:
    """The ``(th, tw)`` window at the per-sample top-left offsets ``(oy, ox)``."""
    n, c, h, w = x.shape
    rows = (oy.view(n, 1) + torch.arange(th, device=x.device).view(1, th))
    cols = (ox.view(n, 1) + torch.arange(tw, device=x.device).view(1, tw))
    flat = (rows.view(n, th, 1) * w + cols.view(n, 1, tw)).view(n, 1, th * tw)
    out = torch.gather(x.reshape(n, c, h * w), 2, flat.expand(n, c, th * tw))
    return out.view(n, c, th, tw)


FLIP_DIMS = {'horizontal': [3], 'vertical': [2], 'diagonal': [2, 3]}


def flip(x: torch.Tensor, mask: torch.Tensor, direction: str) -> torch.Tensor:
    """``x`` flipped in ``direction`` (MMCV's names) for the samples in ``mask``."""
    return where_samples(mask, x.flip(FLIP_DIMS[direction]), x)


# ----------------------------------------------------------------------------------------------
# cut-out holes
# ----------------------------------------------------------------------------------------------
def _fill_where(x: torch.Tensor, inside: torch.Tensor, pad_val) -> torch.Tensor:
    """``pad_val`` where the ``(N, H, W)`` mask ``inside`` is set, else ``x``."""
    return torch.where(inside.unsqueeze(1), fill_tensor(pad_val, x.size(1), x).expand_as(x), x)


def cutout(x, mag, pad_val=128, generator: Optional[torch.Generator] = None):
    """``mmcv.cutout`` with a per-sample square size ``mag`` (whole numbers) or a fixed
    ``(cut_h, cut_w)`` tuple; draws the centres ``(y0, x0)`` uniformly over the image from
    ``generator``, top-left ``int(max(0, c - s/2))``, clipped at the bottom/right border.
    """
    n, c, h, w = x.shape
    if isinstance(mag, tuple):  # fixed (cut_h, cut_w)
        cut_h = torch.full((n, ), float(mag[0]), device=x.device, dtype=torch.float64)
        cut_w = torch.full((n, ), float(mag[1]), device=x.device, dtype=torch.float64)
    else:
        cut_h = cut_w = mag.to(torch.float64)
    y0 = torch.rand(n, generator=generator, device=x.device, dtype=torch.float64) * h
    x0 = torch.rand(n, generator=generator, device=x.device, dtype=torch.float64) * w
    y1 = torch.trunc(torch.clamp_min(y0 - cut_h / 2.0, 0.0))
    x1 = torch.trunc(torch.clamp_min(x0 - cut_w / 2.0, 0.0))
    y2 = torch.clamp_max(y1 + cut_h, float(h))
    x2 = torch.clamp_max(x1 + cut_w, float(w))
    ys = torch.arange(h, device=x.device, dtype=torch.float64).view(1, h, 1)
    xs = torch.arange(w, device=x.device, dtype=torch.float64).view(1, 1, w)
    inside = ((ys >= y1.view(n, 1, 1)) & (ys < y2.view(n, 1, 1)) & (xs >= x1.view(n, 1, 1))
              & (xs < x2.view(n, 1, 1)))
    return _fill_where(x, inside, pad_val)


def devries_cutout(x: torch.Tensor, centres: Sequence[Tuple[torch.Tensor, torch.Tensor]],
                   length: int, pad_val=0) -> torch.Tensor:
    """mmltr's ``DeVriesCutout``: for each ``(cy, cx)`` of ``centres`` (``(N,)`` integer
    tensors) a hole ``[clip(c - L//2, 0, size), clip(c + L//2, 0, size))`` per axis.
    """
    n, c, h, w = x.shape
    half = length // 2
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    hole = torch.zeros((n, h, w), dtype=torch.bool, device=x.device)
    for cy, cx in centres:
        cy, cx = cy.view(n, 1, 1), cx.view(n, 1, 1)
        hole |= ((ys >= (cy - half).clamp(0, h)) & (ys < (cy + half).clamp(0, h))
                 & (xs >= (cx - half).clamp(0, w)) & (xs < (cx + half).clamp(0, w)))
    return _fill_where(x, hole, pad_val)
