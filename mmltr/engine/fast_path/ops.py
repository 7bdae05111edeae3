"""The op table: MMPretrain's ``BaseAugTransform`` ops (``AutoAugment``'s and single ops) batched.

One row of :data:`OPS` per CPU transform class names its batched kernel, the transform attribute
holding a fixed magnitude, whether the op takes a random sign, the static attributes handed to the
kernel, and whether the magnitude is a whole number / the kernel draws random numbers itself.
:class:`OpSpec` reads one built CPU transform through its row: the random parameters
(:meth:`OpSpec.sample`) and the kernel call (:meth:`OpSpec.apply`). Adding an op is one row here
plus its kernel.

====================  ==========================================================================
CPU transform         batched semantics (kernels in :mod:`.geometric` / :mod:`.photometric`)
====================  ==========================================================================
``Shear``             ``cv2.warpAffine`` ``[[1, m, 0], [0, 1, 0]]`` (``[[1, 0, 0], [m, 1, 0]]``
                      vertical), constant ``pad_val`` border, nearest / bilinear / bicubic.
``Translate``         offset ``m * W`` (``m * H``), same warp.
``Rotate``            ``cv2.getRotationMatrix2D(center, -angle, scale)`` about ``((W-1)/2,
                      (H-1)/2)``, same warp; an *integer* ``pad_val`` fills ``(v, 0, 0)``.
``AutoContrast``      per-channel min/max stretch, float64 LUT truncated like ``mmcv``.
``Invert``            ``255 - x``.
``Equalize``          ``mmcv.imequalize`` (PIL's algorithm), exact integer arithmetic.
``Solarize``          ``x < thr ? x : 255 - x``.
``SolarizeAdd``       ``x < thr ? min(x + m, 255) : x`` (truncated).
``Posterize``         ``bits = ceil(m)``, keep the top bits.
``Contrast``          blend with the (rounded) mean of the cv2 BGR->gray image, truncated.
``ColorTransform``    blend with the cv2 BGR->gray image, rounded (``cv2.addWeighted`` on uint8).
``Brightness``        ``x * f``, truncated.
``Sharpness``         blend with the 3x3 SMOOTH-filtered image (reflect-101 border, rounded),
                      truncated.
``Cutout``            ``mmcv.cutout``: centre ``(y0, x0)`` uniform over the image, top-left
                      ``int(max(0, c - s/2))``, clipped at the bottom/right border.
====================  ==========================================================================

Magnitudes follow ``BaseAugTransform``: a fixed value, or ``magnitude_level`` of ``total_level``
mapped into ``magnitude_range`` (with ``magnitude_std`` noise, ``'inf'`` for uniform), then a
negative sign with ``random_negative_prob`` for the signed ops.
"""
from dataclasses import dataclass
from numbers import Number
from typing import Callable, Dict, Optional, Tuple

import torch

from . import geometric as G
from . import photometric as P
from .utils import UnsupportedTransformError, apply_where

__all__ = ['Op', 'OPS', 'OpSpec', 'apply_masked']


@dataclass(frozen=True)
class Op:
    """One row of the op table.

    Args:
        kernel: ``kernel(x, magnitude, **static)`` (plus ``generator=`` if ``random``).
        magnitude (str, optional): the CPU transform's attribute holding a fixed magnitude
            (``None``: the op takes no magnitude).
        signed (bool): the magnitude gets a random sign (``random_negative_prob``).
        static (tuple[str]): the CPU transform's attributes passed to the kernel as keywords
            (where the transform has them); ops with equal static values are batched together.
        integer (bool): the magnitude is ``int(...)`` as on the CPU; a sequence fixed magnitude is
            a per-axis size.
        random (bool): the kernel draws random numbers itself (from ``generator``).
    """

    kernel: Callable
    magnitude: Optional[str] = None
    signed: bool = True
    static: Tuple[str, ...] = ()
    integer: bool = False
    random: bool = False


_WARP = ('direction', 'pad_val', 'interpolation')

#: kind (CPU transform class name) -> :class:`Op`.
OPS: Dict[str, Op] = dict(
    Shear=Op(G.shear, 'magnitude', static=_WARP),
    Translate=Op(G.translate, 'magnitude', static=_WARP),
    Rotate=Op(G.rotate, 'angle', static=('center', 'scale', 'pad_val', 'interpolation')),
    AutoContrast=Op(P.auto_contrast),
    Invert=Op(P.invert),
    Equalize=Op(P.equalize),
    Solarize=Op(P.solarize, 'thr', signed=False),
    SolarizeAdd=Op(P.solarize_add, 'magnitude', signed=False, static=('thr', )),
    Posterize=Op(P.posterize, 'bits', signed=False),
    Contrast=Op(P.contrast, 'magnitude'),
    ColorTransform=Op(P.color, 'magnitude'),
    Brightness=Op(P.brightness, 'magnitude'),
    Sharpness=Op(P.sharpness, 'magnitude'),
    Cutout=Op(G.cutout, 'shape', signed=False, static=('pad_val', ), integer=True, random=True),
)


class OpSpec:
    """Randomness and static parameters of one built MMPretrain op (a row of :data:`OPS`, or
    ``op`` for a ``BaseAugTransform`` outside the table).

    ``sample(n, g, device)`` returns ``(applied, magnitude)``: a boolean mask (``rand <= prob``,
    MMPretrain's ``random_disable``) and the per-sample magnitude (fixed or drawn from the
    level/range/std rule, then sign-flipped with ``random_negative_prob``).
    """

    def __init__(self, transform, op: Optional[Op] = None) -> None:
        kind = type(transform).__name__
        if op is None and kind not in OPS:
            raise UnsupportedTransformError(kind)
        self.kind = kind
        self.op = op = op or OPS[kind]
        self.prob = float(getattr(transform, 'prob', 1.0))
        # unsigned ops never negate (as on the CPU)
        self.random_negative_prob = (float(getattr(transform, 'random_negative_prob', 0.0))
                                     if op.signed else 0.0)
        self.fixed = getattr(transform, op.magnitude, None) if op.magnitude else None
        if op.integer and self.fixed is not None and not isinstance(self.fixed, Number):
            self.fixed = tuple(int(v) for v in self.fixed)
        self.magnitude_range = getattr(transform, 'magnitude_range', None)
        self.magnitude_level = getattr(transform, 'magnitude_level', 10)
        self.magnitude_std = getattr(transform, 'magnitude_std', 0.)
        self.total_level = getattr(transform, 'total_level', 10)
        # static (non-random) parameters, which also define the op "group" key
        self.static = {}
        for name in op.static:
            if hasattr(transform, name):
                val = getattr(transform, name)
                self.static[name] = tuple(val) if isinstance(val, list) else val

    @property
    def key(self) -> Tuple:
        return (self.kind, ) + tuple(sorted(self.static.items()))

    def sample(self, n: int, generator: torch.Generator, device) -> Tuple[torch.Tensor, object]:
        applied = torch.rand(n, generator=generator, device=device) <= self.prob
        if self.op.magnitude is None:
            return applied, None
        if isinstance(self.fixed, tuple):  # a per-axis size, e.g. Cutout's (h, w)
            return applied, self.fixed
        if self.fixed is not None:
            mag = torch.full((n, ), float(self.fixed), device=device, dtype=torch.float64)
        else:
            if self.magnitude_range is None:
                raise ValueError(f'{self.kind}: neither a fixed magnitude nor a magnitude_range.')
            mag = torch.full((n, ), float(self.magnitude_level), device=device,
                             dtype=torch.float64)
            std = self.magnitude_std
            if std == 'inf':
                mag = torch.rand(n, generator=generator, device=device,
                                 dtype=torch.float64) * float(self.magnitude_level)
            elif std > 0:
                mag = mag + float(std) * torch.randn(n, generator=generator, device=device,
                                                     dtype=torch.float64)
                mag = mag.clamp(0, float(self.total_level))
            v1, v2 = self.magnitude_range
            mag = (mag / float(self.total_level)) * (float(v2) - float(v1)) + float(v1)
        if self.op.integer:
            mag = torch.trunc(mag)  # int(random_magnitude())
        if self.random_negative_prob > 0:
            neg = torch.rand(n, generator=generator, device=device) < self.random_negative_prob
            mag = torch.where(neg, -mag, mag)
        return applied, mag

    def apply(self, x: torch.Tensor, mag, generator: Optional[torch.Generator] = None):
        kwargs = dict(self.static, generator=generator) if self.op.random else self.static
        return self.op.kernel(x, mag, **kwargs)


def _select_mag(mag, idx):
    if mag is None or isinstance(mag, tuple):
        return mag
    return mag[idx]


def apply_masked(spec: OpSpec, x: torch.Tensor, mask: torch.Tensor, mag,
                 generator: torch.Generator) -> torch.Tensor:
    """Apply ``spec`` to the samples in ``mask`` (:func:`.utils.apply_where`)."""
    return apply_where(mask, x,
                       lambda part, sel: spec.apply(part, _select_mag(mag, sel), generator))
