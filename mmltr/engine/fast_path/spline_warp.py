"""Batched cubic-spline affine warps: ``scipy.ndimage.affine_transform(order=3, mode='constant')``.

Difficulty-Net's CIFAR augmentation warps each channel with SciPy's cubic B-spline interpolation
(:mod:`mmltr.datasets.transforms.difficulty_net_augment`); this module computes the same numbers
for a batch, with one affine map per sample:

1. **Prefilter.** SciPy turns each row and column into B-spline coefficients ``c`` with
   ``(c[i-1] + 4 c[i] + c[i+1]) / 6 = x[i]`` and a mirrored border (``c[-1] = c[1]``,
   ``c[n] = c[n-2]``; its recursive filter for ``mode='constant'`` uses the mirror boundary).
   That is one ``n x n`` matrix per axis, the inverse of the tridiagonal system, so the
   coefficients of a batch are ``P_H @ x @ P_W^T``.
2. **Interpolation.** Output pixel ``(r, c)`` reads the input at ``A (r, c) + b`` (row, column
   coordinates). A point outside ``[0, H - 1] x [0, W - 1]`` is the constant ``cval``; inside,
   the value is the sum over the 4 x 4 coefficients from ``floor(.) - 1`` on, weighted by the
   cubic B-spline, indices mirrored at the border (``-1 -> 1``, ``n -> n - 2``).
3. **Output.** As SciPy casts to ``uint8``: ``floor(v + 0.5)`` clipped to 0-255.

Everything is computed in ``float64``; on the CPU the result equals SciPy's on every pixel (the
tests check it on real images).
"""
from typing import Dict, Tuple

import torch

__all__ = ['spline_prefilter', 'spline_affine']

_PREFILTERS: Dict[Tuple[int, str], torch.Tensor] = {}


def spline_prefilter(n: int, device) -> torch.Tensor:
    """The ``(n, n)`` float64 matrix turning ``n`` samples into cubic B-spline coefficients
    (mirror boundary), cached per size and device."""
    key = (int(n), str(device))
    if key not in _PREFILTERS:
        if n < 2:
            raise ValueError(f'spline warps need images of at least 2 x 2 pixels, got a side of '
                             f'{n}.')
        m = torch.zeros(n, n, dtype=torch.float64)
        i = torch.arange(n)
        m[i, i] = 4.0
        m[i[:-1], i[:-1] + 1] = 1.0
        m[i[1:], i[1:] - 1] = 1.0
        m[0, 1] = m[n - 1, n - 2] = 2.0  # the mirrored neighbour counts twice
        _PREFILTERS[key] = torch.linalg.inv(m / 6.0).to(device)
    return _PREFILTERS[key]


def _bspline_weights(s: torch.Tensor):
    """Cubic B-spline weights of the taps ``floor(s) - 1 .. floor(s) + 2``."""
    f = s - torch.floor(s)
    z = 1.0 - f
    w0 = z * z * z / 6.0
    w1 = (f * f * (f - 2.0) * 3.0 + 4.0) / 6.0
    w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
    return w0, w1, w2, 1.0 - w0 - w1 - w2


def _mirror(idx: torch.Tensor, n: int) -> torch.Tensor:
    """Mirror (reflect-101) integer indices into ``[0, n)``."""
    period = 2 * n - 2
    idx = torch.remainder(idx, period)
    return torch.where(idx >= n, period - idx, idx)


def spline_affine(x: torch.Tensor, matrix: torch.Tensor, cval: float = 0.0) -> torch.Tensor:
    """``scipy.ndimage.affine_transform(plane, matrix[:, :2], matrix[:, 2], order=3,
    mode='constant', cval=cval)`` of every channel, for a batch.

    Args:
        x: ``(N, C, H, W)`` images holding integer values 0-255.
        matrix: ``(N, 2, 3)`` output -> input maps in (row, column) coordinates: output pixel
            ``(r, c)`` reads the input at ``matrix[:, :, :2] @ (r, c) + matrix[:, :, 2]``.
        cval: the value outside the input.

    Returns:
        The warped images, ``x``'s dtype, rounded and clipped to 0-255 as SciPy's ``uint8``
        output.
    """
    n, c, h, w = x.shape
    m = matrix.to(device=x.device, dtype=torch.float64)
    coef = spline_prefilter(h, x.device) @ x.to(torch.float64) @ spline_prefilter(w, x.device).T
    rows = torch.arange(h, device=x.device, dtype=torch.float64).view(1, h, 1)
    cols = torch.arange(w, device=x.device, dtype=torch.float64).view(1, 1, w)

    def coord(i):
        return (m[:, i, 0].view(n, 1, 1) * rows + m[:, i, 1].view(n, 1, 1) * cols
                + m[:, i, 2].view(n, 1, 1))

    sr, sc = coord(0), coord(1)  # (N, H, W) input coordinates
    inside = (sr >= 0) & (sr <= h - 1) & (sc >= 0) & (sc <= w - 1)
    r0 = torch.floor(sr).long() - 1
    c0 = torch.floor(sc).long() - 1
    wr, wc = _bspline_weights(sr), _bspline_weights(sc)
    flat = coef.reshape(n, c, h * w)
    out = torch.zeros_like(coef)
    for i in range(4):
        rr = _mirror(r0 + i, h) * w
        for j in range(4):
            idx = (rr + _mirror(c0 + j, w)).view(n, 1, h * w).expand(n, c, h * w)
            tap = torch.gather(flat, 2, idx).view(n, c, h, w)
            out += tap * wr[i].unsqueeze(1) * wc[j].unsqueeze(1)  # SciPy's order of products
    out = torch.where(inside.unsqueeze(1), out, torch.full_like(out, float(cval)))
    return torch.floor(out + 0.5).clamp(0.0, 255.0).to(x.dtype)
