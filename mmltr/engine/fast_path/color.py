"""Batched colour kernels of the contrastive-view transforms: the hue rotation of
``ColorJitter`` (Pillow's HSV round trip) and ``RandomGrayscale``.

Images are ``float`` tensors ``(N, C, H, W)`` holding integer values 0-255; factors are ``(N,)``
tensors. ``ColorJitter`` hands ``img[..., ::-1]`` to Pillow, so its batched step reverses the
channels around its kernels, which take Pillow's RGB order: :func:`pil_hue` here, brightness,
contrast and colour in :mod:`.pil_photometric`. :func:`pil_hue` reproduces Pillow's RGB -> HSV ->
RGB conversions (``Convert.c``: float32 with double steps, C's ``round``) exactly, the hue byte
shifted by ``uint8(hue_factor * 255)`` modulo 256.

Negative factors: ``mmcv.adjust_hue`` computes the shift with ``np.uint8(hue_factor * 255)``,
which NumPy 2 refuses for a negative factor (``OverflowError``); NumPy 1 wrapped the value
(``trunc(f * 255) mod 256``, the rotation the code intends). :func:`pil_hue` wraps for every
factor, and so does the CPU transform once mmltr is imported (:mod:`mmltr.compat` fixes
``mmcv.adjust_hue``).
"""
import torch

from .utils import exact_div, per_sample

__all__ = ['pil_hue', 'rgb_to_hsv_pil', 'hsv_to_rgb_pil', 'weighted_gray']

_F64 = torch.float64


def _rgb(x: torch.Tensor):
    """The (R, G, B) planes ``(N, 1, H, W)`` of an RGB batch."""
    if x.size(1) != 3:
        raise ValueError(f'Pillow colour ops need 3-channel (RGB) images, got {x.size(1)} '
                         'channels.')
    return x[:, 0:1], x[:, 1:2], x[:, 2:3]


def _c_round(v: torch.Tensor) -> torch.Tensor:
    """C's ``round`` (half away from zero) for non-negative values."""
    low = torch.floor(v)
    return torch.where(v - low >= 0.5, low + 1.0, low)


def rgb_to_hsv_pil(r: torch.Tensor, g: torch.Tensor, b: torch.Tensor):
    """Pillow's ``rgb2hsv_row`` on integer-valued planes: ``(h, s, v)`` bytes as float."""
    f32 = torch.float32
    maxc = torch.maximum(r, torch.maximum(g, b))
    minc = torch.minimum(r, torch.minimum(g, b))
    gray = maxc == minc
    cr = (maxc - minc).to(f32).clamp_min(1.0)  # gray pixels are replaced below
    s = cr / maxc.to(f32).clamp_min(1.0)
    rc = (maxc - r).to(f32) / cr
    gc = (maxc - g).to(f32) / cr
    bc = (maxc - b).to(f32) / cr
    h = torch.where(r == maxc, bc - gc,
                    torch.where(g == maxc, ((2.0 + rc.to(_F64)) - bc.to(_F64)).to(f32),
                                ((4.0 + gc.to(_F64)) - rc.to(_F64)).to(f32)))
    h = torch.fmod(exact_div(h.to(_F64), 6.0) + 1.0, 1.0).to(f32)
    uh = torch.trunc(h.to(_F64) * 255.0).clamp(0.0, 255.0)
    us = torch.trunc(s.to(_F64) * 255.0).clamp(0.0, 255.0)
    zero = torch.zeros_like(uh)
    return torch.where(gray, zero, uh), torch.where(gray, zero, us), maxc.to(_F64)


def hsv_to_rgb_pil(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor):
    """Pillow's ``hsv2rgb`` on byte-valued planes: ``(r, g, b)`` as float64."""
    f32 = torch.float32
    h, s, v = h.to(_F64), s.to(_F64), v.to(_F64)
    pos = exact_div(h * 6.0, 255.0)
    i = torch.floor(pos)
    f = (pos - i).to(f32)
    fs = exact_div(s, 255.0).to(f32)
    p = _c_round(v * (1.0 - fs.to(_F64))).clamp(0.0, 255.0)
    q = _c_round(v * (1.0 - (fs * f).to(_F64))).clamp(0.0, 255.0)
    t = _c_round(v * (1.0 - fs.to(_F64) * (1.0 - f.to(_F64)))).clamp(0.0, 255.0)
    sector = torch.remainder(i, 6.0)
    # (R, G, B) per sector of Pillow's switch (i % 6)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = []
    for ch in range(3):
        val = table[5][ch]
        for k in range(4, -1, -1):
            val = torch.where(sector == k, table[k][ch], val)
        out.append(torch.where(s == 0, v, val))
    return out


def pil_hue(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``mmcv.adjust_hue(backend='pillow')``: the HSV hue byte shifted by
    ``trunc(factor * 255) mod 256`` (see the module docstring for negative factors)."""
    r, g, b = _rgb(x)
    h, s, v = rgb_to_hsv_pil(r, g, b)
    shift = torch.remainder(torch.trunc(factor.to(_F64) * 255.0), 256.0)
    h = torch.remainder(h + per_sample(shift), 256.0)
    r, g, b = hsv_to_rgb_pil(h, s, v)
    return torch.cat([r, g, b], dim=1).to(x.dtype)


def weighted_gray(x: torch.Tensor, weights) -> torch.Tensor:
    """MMCV ``RandomGrayscale``: ``uint8(sum_c w_c * x_c)`` with the weights normalised to sum
    1, in float64 and in channel order as NumPy sums them; ``(N, 1, H, W)``."""
    if x.size(1) != len(weights):
        raise ValueError(f'RandomGrayscale: {len(weights)} channel_weights for {x.size(1)} '
                         'channels.')
    total = sum(weights)
    acc = None
    for c, w in enumerate(weights):
        term = x[:, c:c + 1].to(_F64) * (w / total)
        acc = term if acc is None else acc + term
    return torch.trunc(acc).to(x.dtype)
