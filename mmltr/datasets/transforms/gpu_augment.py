"""Batched, device-side equivalents of MMPretrain's CPU training transforms (the fast path).

The fast path (:mod:`mmltr.engine.loops.gpu_loops`) keeps a small-image dataset on the device as
``uint8`` and augments a whole epoch at once. Every sample draws its own random parameters, with
the same distributions as the per-sample CPU transform, so a batch is a set of independent
CPU-pipeline draws (not bit-identical to a CPU run: the random numbers come from a
``torch.Generator``, not from NumPy in the data-loader workers).

The batched ops are built **from the CPU transform objects** (the ones the dataset's
``pipeline`` builds from the config, or ``gpu_pipeline`` dicts built with MMPretrain's
``TRANSFORMS``): their attributes (probabilities, magnitudes, magnitude ranges and levels, random
sign, pad values, interpolation, directions) are read from the object, so the GPU pipeline is the
CPU pipeline by construction. Supported transforms (anything else raises
:class:`UnsupportedTransformError`):

====================  ==========================================================================
CPU transform         batched semantics (images are ``float32`` tensors holding integer values
                      0-255, ``(N, C, H, W)``, channel order as the CPU pipeline: BGR for files)
====================  ==========================================================================
``RandomCrop``        MMPretrain: constant ``pad_val`` padding by ``padding`` (int / 2- / 4-tuple),
                      ``pad_if_needed``, then offsets uniform in ``[0, H_pad - h]``.
``RandomFlip``        MMCV: ``prob`` (float or list) over ``direction`` (horizontal, vertical,
                      diagonal or a list of them).
``AutoAugment``       each sample independently picks one sub-policy (``RandomChoice.prob`` or
                      uniform) and applies its ops in order, each with its own probability,
                      magnitude (fixed, or level/range/std as ``BaseAugTransform``) and random
                      sign.
``Shear``             ``cv2.warpAffine`` ``[[1, m, 0], [0, 1, 0]]`` (``[[1, 0, 0], [m, 1, 0]]``
                      vertical), constant ``pad_val`` border, nearest / bilinear / bicubic.
``Translate``         offset ``m * W`` (``m * H``), same warp.
``Rotate``            ``cv2.getRotationMatrix2D(center, -angle, scale)`` about ``((W-1)/2,
                      (H-1)/2)``, same warp. As in mmcv, an *integer* ``pad_val`` fills only
                      the first channel (cv2 ``Scalar(v)``): ``(v, 0, 0)``; give a 3-tuple for
                      a grey fill.
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
``DeVriesCutout``     mmltr's: ``n_holes`` holes, integer centre uniform over the image, clipped
                      at every border (``[c - L//2, c + L//2)``), ``pad_val`` fill.
``PackInputs``        ignored (the loop packs the batch itself).
====================  ==========================================================================

Ops that take a geometric warp use ``grid_sample`` (bicubic: the same ``a = -0.75`` kernel as
cv2, but cv2 quantises sub-pixel positions to 1/32 px) or an exact ``floor(x + 0.5)`` nearest
lookup (cv2's rule). Photometric ops reproduce ``mmcv``'s rounding/truncation, so results agree with
the CPU transform exactly or within one intensity level (``tests/test_fast_path.py`` checks
every op against MMPretrain's transform on real images). Differences from *PIL* (the official
DBM / AutoAugment code): PIL's sharpness leaves the 1-pixel border untouched (mmcv filters it with a
reflected border), PIL's bicubic uses ``a = -0.5``, and PIL's ``Color``/``Contrast`` use the
ITU-R 601 luma on RGB while mmcv applies cv2's BGR->gray weights to whatever channel order the
pipeline carries. These are properties of the MMPretrain CPU pipeline that this module mirrors.
"""
import math
from numbers import Number
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

__all__ = [
    'UnsupportedTransformError', 'BatchPipeline', 'build_batch_pipeline', 'SUPPORTED_TRANSFORMS',
    'IGNORED_TRANSFORMS', 'LOADING_TRANSFORMS'
]

#: Transforms that only load/decode data. The fast loop runs them once per image (on the CPU,
#: with the dataset's own objects) before the images go to the device.
LOADING_TRANSFORMS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'LoadImageFromWebcam')
#: Transforms with no effect on the image tensor that the fast path drops.
IGNORED_TRANSFORMS = ('PackInputs', 'PackClsInputs', 'Collect', 'ToTensor', 'ImageToTensor')

_OPS = ('Shear', 'Translate', 'Rotate', 'AutoContrast', 'Invert', 'Equalize', 'Solarize',
        'SolarizeAdd', 'Posterize', 'Contrast', 'ColorTransform', 'Brightness', 'Sharpness',
        'Cutout')
SUPPORTED_TRANSFORMS = ('RandomCrop', 'RandomFlip', 'AutoAugment', 'DeVriesCutout') + _OPS


class UnsupportedTransformError(NotImplementedError):
    """A CPU transform has no batched equivalent in the fast path."""


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------
def _fill_tensor(pad_val, channels: int, x: torch.Tensor) -> torch.Tensor:
    """``pad_val`` (number or per-channel sequence) as a ``(1, C, 1, 1)`` tensor."""
    if isinstance(pad_val, Number):
        vals = [float(pad_val)] * channels
    else:
        vals = [float(v) for v in pad_val]
        if len(vals) == 1:
            vals = vals * channels
        if len(vals) != channels:
            raise ValueError(f'pad_val {pad_val!r} has {len(vals)} values for {channels} '
                             'channels.')
    return torch.tensor(vals, dtype=x.dtype, device=x.device).view(1, channels, 1, 1)


def _col(v: torch.Tensor) -> torch.Tensor:
    return v.view(-1, 1, 1, 1)


def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(_col(mask), a, b)


def _gray_cv2(x: torch.Tensor) -> torch.Tensor:
    """``cv2.cvtColor(img, COLOR_BGR2GRAY)`` on uint8 values: 14-bit fixed point, rounded.

    Returns ``(N, 1, H, W)``. A single-channel image is its own gray image.
    """
    if x.size(1) == 1:
        return x
    if x.size(1) != 3:
        raise ValueError(f'colour ops need 1 or 3 channels, got {x.size(1)}.')
    acc = x[:, 0:1] * 1868.0 + x[:, 1:2] * 9617.0 + x[:, 2:3] * 4899.0 + 8192.0
    return torch.floor(acc / 16384.0)


def _trunc_u8(v: torch.Tensor) -> torch.Tensor:
    """``np.clip(v, 0, 255).astype(np.uint8)`` (truncation)."""
    return torch.trunc(v.clamp(0.0, 255.0))


def _round_u8(v: torch.Tensor) -> torch.Tensor:
    """``saturate_cast<uchar>`` (round half to even, then saturate)."""
    return torch.round(v).clamp(0.0, 255.0)


def _blend_trunc(x: torch.Tensor, degenerate: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``cv2.addWeighted(float32 img, f, float32 deg, 1 - f, 0)`` -> clip -> ``astype(uint8)``."""
    f = _col(factor).to(torch.float64)
    out = x.to(torch.float64) * f + degenerate.to(torch.float64) * (1.0 - f)
    return _trunc_u8(out).to(x.dtype)


# ----------------------------------------------------------------------------------------------
# geometric ops
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
    return _round_u8(out.to(x.dtype) + fill)


def _identity_plus(value: torch.Tensor, row: int, col: int) -> torch.Tensor:
    """``(N, 2, 3)`` float64 identity affine matrices with entry ``[row, col]`` set to ``value``."""
    m = torch.zeros(value.numel(), 2, 3, dtype=torch.float64, device=value.device)
    m[:, 0, 0] = 1
    m[:, 1, 1] = 1
    m[:, row, col] = value.to(torch.float64)
    return m


def _shear_matrix(mag: torch.Tensor, direction: str) -> torch.Tensor:
    return _identity_plus(mag, *((0, 1) if direction == 'horizontal' else (1, 0)))


def _translate_matrix(offset: torch.Tensor, direction: str) -> torch.Tensor:
    return _identity_plus(offset, *((0, 2) if direction == 'horizontal' else (1, 2)))


def _rotation_matrix(angle: torch.Tensor, center: Tuple[float, float],
                     scale: float) -> torch.Tensor:
    """``cv2.getRotationMatrix2D(center, -angle, scale)`` (positive angle = clockwise)."""
    theta = -angle.to(torch.float64) * math.pi / 180.0
    alpha = scale * torch.cos(theta)
    beta = scale * torch.sin(theta)
    cx, cy = center
    m = torch.stack([
        torch.stack([alpha, beta, (1 - alpha) * cx - beta * cy], dim=-1),
        torch.stack([-beta, alpha, beta * cx + (1 - alpha) * cy], dim=-1),
    ], dim=1)
    return m


def op_shear(x, mag, direction='horizontal', pad_val=128, interpolation='bicubic'):
    return warp_affine(x, _shear_matrix(mag, direction), _fill_tensor(pad_val, x.size(1), x),
                       interpolation)


def op_translate(x, mag, direction='horizontal', pad_val=128, interpolation='nearest'):
    size = x.size(3) if direction == 'horizontal' else x.size(2)
    return warp_affine(x, _translate_matrix(mag.to(torch.float64) * size, direction),
                       _fill_tensor(pad_val, x.size(1), x), interpolation)


def op_rotate(x, angle, center=None, scale=1.0, pad_val=128, interpolation='nearest'):
    h, w = x.shape[-2:]
    if center is None:
        center = ((w - 1) * 0.5, (h - 1) * 0.5)
    if isinstance(pad_val, Number):
        # mmcv.imrotate hands an int border value to cv2 as Scalar(v): only the first channel
        # gets v, the others 0 (MMPretrain's Rotate(pad_val=128) fills with (128, 0, 0)). Mirror
        # it; a per-channel tuple pad_val gives a uniform fill on both paths.
        pad_val = [float(pad_val)] + [0.0] * (x.size(1) - 1)
    return warp_affine(x, _rotation_matrix(angle, tuple(center), float(scale)),
                       _fill_tensor(pad_val, x.size(1), x), interpolation)


# ----------------------------------------------------------------------------------------------
# photometric ops
# ----------------------------------------------------------------------------------------------
def _per_channel_hist(x: torch.Tensor) -> torch.Tensor:
    """``(N, C, 256)`` int64 histograms of integer-valued images."""
    n, c = x.shape[:2]
    v = x.reshape(n * c, -1).long().clamp(0, 255)
    offs = (torch.arange(n * c, device=x.device) * 256).view(-1, 1)
    idx = (v + offs).reshape(-1)
    # scatter_add into a fixed size (torch.bincount would read the max on the host: a sync)
    hist = torch.zeros(n * c * 256, dtype=torch.long, device=x.device)
    hist.scatter_add_(0, idx, torch.ones_like(idx))
    return hist.view(n, c, 256)


def _apply_lut(x: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
    """``lut[n, c, x[n, c, ...]]`` for ``lut`` of shape ``(N, C, 256)``."""
    n, c = x.shape[:2]
    idx = x.reshape(n, c, -1).long().clamp(0, 255)
    return torch.gather(lut.to(x.dtype), 2, idx).view_as(x)


def op_auto_contrast(x, mag=None):
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    low = flat.amin(dim=2).to(torch.float64)
    high = flat.amax(dim=2).to(torch.float64)
    scale = 255.0 / (high - low).clamp_min(1.0)
    offset = -low * scale
    v = torch.arange(256, device=x.device, dtype=torch.float64).view(1, 1, 256)
    lut = torch.trunc((v * scale.unsqueeze(-1) + offset.unsqueeze(-1)).clamp(0.0, 255.0))
    identity = v.expand(n, c, 256)
    lut = torch.where((low < high).unsqueeze(-1), lut, identity)
    return _apply_lut(x, lut)


def op_invert(x, mag=None):
    return 255.0 - x


def op_equalize(x, mag=None):
    """``mmcv.imequalize`` per channel (integer arithmetic, identical to the CPU result)."""
    n, c = x.shape[:2]
    hist = _per_channel_hist(x)
    last_value = x.reshape(n, c, -1).amax(dim=2).long()
    last_count = torch.gather(hist, 2, last_value.unsqueeze(-1)).squeeze(-1)
    step = (hist.sum(dim=2) - last_count) // 255
    safe = step.clamp_min(1).unsqueeze(-1)
    lut = (torch.cumsum(hist, dim=2) + safe // 2) // safe
    lut = torch.cat([torch.zeros_like(lut[..., :1]), lut[..., :-1]], dim=2).clamp_max(255)
    identity = torch.arange(256, device=x.device).view(1, 1, 256).expand(n, c, 256)
    lut = torch.where((step > 0).unsqueeze(-1), lut, identity)
    return _apply_lut(x, lut)


def op_solarize(x, thr):
    return torch.where(x < _col(thr).to(x.dtype), x, 255.0 - x)


def op_solarize_add(x, mag, thr=128):
    added = torch.trunc(torch.clamp_max(x.to(torch.float64) + _col(mag).to(torch.float64), 255.0))
    return torch.where(x < thr, added.to(x.dtype), x)


def op_posterize(x, bits):
    bits = torch.ceil(bits.to(torch.float64)).clamp(0, 8)
    div = torch.pow(2.0, 8.0 - bits).to(x.dtype)
    return torch.floor(x / _col(div)) * _col(div)


def op_contrast(x, mag):
    gray = _gray_cv2(x)
    n = x.size(0)
    mean = gray.reshape(n, -1).to(torch.float64).mean(dim=1)
    mean = torch.round(mean).to(x.dtype)
    return _blend_trunc(x, _col(mean).expand_as(x), 1.0 + mag)


def op_color(x, mag):
    gray = _gray_cv2(x)
    alpha = _col(1.0 + mag).to(torch.float32)
    out = x.float() * alpha + gray.float() * (1.0 - alpha)
    return _round_u8(out).to(x.dtype)


def op_brightness(x, mag):
    return _blend_trunc(x, torch.zeros_like(x), 1.0 + mag)


_SMOOTH = torch.tensor([[1., 1., 1.], [1., 5., 1.], [1., 1., 1.]])


def op_sharpness(x, mag):
    c = x.size(1)
    kernel = _SMOOTH.to(device=x.device, dtype=x.dtype).view(1, 1, 3, 3).repeat(c, 1, 1, 1)
    padded = F.pad(x, (1, 1, 1, 1), mode='reflect')  # cv2's BORDER_REFLECT_101
    degenerate = _round_u8(F.conv2d(padded, kernel, groups=c) / 13.0)
    return _blend_trunc(x, degenerate, 1.0 + mag)


def op_cutout(x, mag, pad_val=128, generator=None):
    """``mmcv.cutout`` with a per-sample square size ``mag`` (int) and a uniform centre."""
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
    return torch.where(inside.unsqueeze(1), _fill_tensor(pad_val, c, x).expand_as(x), x)


# ----------------------------------------------------------------------------------------------
# op specs: random parameters of one CPU transform object
# ----------------------------------------------------------------------------------------------
class OpSpec:
    """Randomness and static parameters of one MMPretrain ``BaseAugTransform`` op.

    ``sample(n, g, device)`` returns ``(applied, magnitude)``: a boolean mask (``rand <= prob``,
    MMPretrain's ``random_disable``) and the per-sample magnitude (fixed or drawn from the
    level/range/std rule, then sign-flipped with ``random_negative_prob``).
    """

    # attribute holding a fixed magnitude, per op type
    _FIXED_ATTR = dict(Shear='magnitude', Translate='magnitude', Rotate='angle', Solarize='thr',
                       SolarizeAdd='magnitude', Posterize='bits', Contrast='magnitude',
                       ColorTransform='magnitude', Brightness='magnitude', Sharpness='magnitude',
                       Cutout='shape')

    def __init__(self, transform) -> None:
        kind = type(transform).__name__
        if kind not in _OPS:
            raise UnsupportedTransformError(kind)
        self.kind = kind
        self.prob = float(getattr(transform, 'prob', 1.0))
        self.random_negative_prob = float(getattr(transform, 'random_negative_prob', 0.0))
        attr = self._FIXED_ATTR.get(kind)
        self.fixed = getattr(transform, attr, None) if attr else None
        self.magnitude_range = getattr(transform, 'magnitude_range', None)
        self.magnitude_level = getattr(transform, 'magnitude_level', 10)
        self.magnitude_std = getattr(transform, 'magnitude_std', 0.)
        self.total_level = getattr(transform, 'total_level', 10)
        self.needs_magnitude = attr is not None
        if kind == 'Cutout' and self.fixed is not None and not isinstance(self.fixed, Number):
            self.fixed = tuple(int(v) for v in self.fixed)
        if kind in ('Solarize', 'Posterize', 'Cutout', 'SolarizeAdd'):
            self.random_negative_prob = 0.0  # these ops never negate (as on the CPU)
        # static (non-random) parameters, which also define the op "group" key
        static = {}
        for name in ('direction', 'pad_val', 'interpolation', 'center', 'scale'):
            if hasattr(transform, name):
                val = getattr(transform, name)
                static[name] = tuple(val) if isinstance(val, list) else val
        if kind == 'SolarizeAdd':
            static['thr'] = transform.thr
        self.static = static

    @property
    def key(self) -> Tuple:
        return (self.kind, ) + tuple(sorted(self.static.items()))

    def sample(self, n: int, generator: torch.Generator, device) -> Tuple[torch.Tensor, object]:
        applied = torch.rand(n, generator=generator, device=device) <= self.prob
        if not self.needs_magnitude:
            return applied, None
        if isinstance(self.fixed, tuple):  # Cutout with (h, w)
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
        if self.kind == 'Cutout':
            mag = torch.trunc(mag)  # int(random_magnitude())
        if self.random_negative_prob > 0:
            neg = torch.rand(n, generator=generator, device=device) < self.random_negative_prob
            mag = torch.where(neg, -mag, mag)
        return applied, mag

    def apply(self, x: torch.Tensor, mag, generator: Optional[torch.Generator] = None):
        s = self.static
        k = self.kind
        if k == 'Shear':
            return op_shear(x, mag, s.get('direction', 'horizontal'), s.get('pad_val', 128),
                            s.get('interpolation', 'bicubic'))
        if k == 'Translate':
            return op_translate(x, mag, s.get('direction', 'horizontal'), s.get('pad_val', 128),
                                s.get('interpolation', 'nearest'))
        if k == 'Rotate':
            return op_rotate(x, mag, s.get('center'), s.get('scale', 1.0), s.get('pad_val', 128),
                             s.get('interpolation', 'nearest'))
        if k == 'Cutout':
            return op_cutout(x, mag, s.get('pad_val', 128), generator)
        if k == 'SolarizeAdd':
            return op_solarize_add(x, mag, s.get('thr', 128))
        return _SIMPLE_OPS[k](x, mag)


_SIMPLE_OPS: Dict[str, Callable] = dict(
    AutoContrast=op_auto_contrast, Invert=op_invert, Equalize=op_equalize, Solarize=op_solarize,
    Posterize=op_posterize, Contrast=op_contrast, ColorTransform=op_color,
    Brightness=op_brightness, Sharpness=op_sharpness)


def _select_mag(mag, idx):
    if mag is None or isinstance(mag, tuple):
        return mag
    return mag[idx]


def _apply_masked(spec: OpSpec, x: torch.Tensor, mask: torch.Tensor, mag,
                  generator: torch.Generator) -> torch.Tensor:
    """Apply ``spec`` to the samples in ``mask``.

    On CUDA the op runs on the whole batch and ``torch.where`` keeps the unselected samples (no
    host synchronisation); on the CPU only the selected samples are computed.
    """
    if x.is_cuda:
        return _where(mask, spec.apply(x, mag, generator), x)
    idx = mask.nonzero().flatten()
    if idx.numel() == 0:
        return x
    out = x.clone()
    out[idx] = spec.apply(x[idx], _select_mag(mag, idx), generator)
    return out


# ----------------------------------------------------------------------------------------------
# batched pipeline steps
# ----------------------------------------------------------------------------------------------
class BatchStep:
    """One step of a :class:`BatchPipeline`: ``(x, generator) -> x``."""

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError


def _padding4(padding) -> Tuple[int, int, int, int]:
    """mmcv.impad's padding: int, (lr, tb) or (left, top, right, bottom)."""
    if isinstance(padding, Number):
        p = int(padding)
        return p, p, p, p
    padding = tuple(int(v) for v in padding)
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return padding
    raise ValueError(f'bad padding {padding!r}')


class BatchRandomCrop(BatchStep):
    """MMPretrain ``RandomCrop`` (constant-padding variant)."""

    def __init__(self, crop_size, padding=None, pad_if_needed=False, pad_val=0,
                 padding_mode='constant') -> None:
        self.crop_size = (crop_size, crop_size) if isinstance(crop_size, Number) else tuple(
            crop_size)
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.pad_val = pad_val
        self.padding_mode = padding_mode

    @classmethod
    def from_transform(cls, t) -> 'BatchRandomCrop':
        return cls(t.crop_size, t.padding, t.pad_if_needed, t.pad_val, t.padding_mode)

    @staticmethod
    def _pad(x, left, top, right, bottom, pad_val, mode='constant'):
        if not (left or top or right or bottom):
            return x
        if mode == 'constant':
            fill = _fill_tensor(pad_val, x.size(1), x)
            out = F.pad(x - fill, (left, right, top, bottom), mode='constant', value=0.0)
            return out + fill
        torch_mode = {'edge': 'replicate', 'reflect': 'reflect', 'symmetric': None}[mode]
        if torch_mode is None:
            raise UnsupportedTransformError("RandomCrop padding_mode='symmetric' on the fast path")
        return F.pad(x, (left, right, top, bottom), mode=torch_mode)

    def __call__(self, x, generator):
        if self.padding is not None:
            left, top, right, bottom = _padding4(self.padding)
            x = self._pad(x, left, top, right, bottom, self.pad_val)
        th, tw = self.crop_size
        if self.pad_if_needed:
            h_pad = math.ceil(max(0, th - x.size(2)) / 2)
            w_pad = math.ceil(max(0, tw - x.size(3)) / 2)
            x = self._pad(x, w_pad, h_pad, w_pad, h_pad, self.pad_val, self.padding_mode)
        n, c, h, w = x.shape
        if h == th and w == tw:
            return x
        if h < th or w < tw:
            raise ValueError(f'RandomCrop {self.crop_size} larger than the padded image {(h, w)}')
        oy = torch.randint(0, h - th + 1, (n, ), generator=generator, device=x.device)
        ox = torch.randint(0, w - tw + 1, (n, ), generator=generator, device=x.device)
        rows = (oy.view(n, 1) + torch.arange(th, device=x.device).view(1, th))
        cols = (ox.view(n, 1) + torch.arange(tw, device=x.device).view(1, tw))
        flat = (rows.view(n, th, 1) * w + cols.view(n, 1, tw)).view(n, 1, th * tw)
        out = torch.gather(x.reshape(n, c, h * w), 2, flat.expand(n, c, th * tw))
        return out.view(n, c, th, tw)


class BatchRandomFlip(BatchStep):
    """MMCV ``RandomFlip``: one of ``direction`` (or none) per sample."""

    def __init__(self, prob=None, direction='horizontal') -> None:
        directions = [direction] if isinstance(direction, str) else list(direction)
        if isinstance(prob, list):
            probs = list(prob)
        else:
            p = float(prob if prob is not None else 0.0)
            probs = [p / len(directions)] * len(directions)
        for d in directions:
            if d not in ('horizontal', 'vertical', 'diagonal'):
                raise ValueError(f'unknown flip direction {d!r}')
        self.directions = directions
        self.probs = probs

    @classmethod
    def from_transform(cls, t) -> 'BatchRandomFlip':
        return cls(t.prob, t.direction)

    def __call__(self, x, generator):
        u = torch.rand(x.size(0), generator=generator, device=x.device)
        lo = 0.0
        for d, p in zip(self.directions, self.probs):
            mask = (u >= lo) & (u < lo + p)
            lo += p
            dims = {'horizontal': [3], 'vertical': [2], 'diagonal': [2, 3]}[d]
            x = _where(mask, x.flip(dims), x)
        return x


class BatchOps(BatchStep):
    """A random choice among op sequences (MMPretrain ``AutoAugment``), per sample.

    A single op outside ``AutoAugment`` is a choice among one sequence of one op.
    """

    def __init__(self, policies: List[List[OpSpec]], choice_prob=None) -> None:
        if not policies:
            raise ValueError('empty policies')
        self.policies = policies
        if choice_prob is None:
            self.choice_prob = None
        else:
            p = torch.as_tensor(choice_prob, dtype=torch.float64)
            self.choice_prob = (p / p.sum()).float()

    @classmethod
    def from_transform(cls, t) -> 'BatchOps':
        kind = type(t).__name__
        if kind == 'AutoAugment':
            policies = []
            for sub in t.transforms:  # each a mmcv Compose
                ops = list(getattr(sub, 'transforms', sub))
                policies.append([OpSpec(op) for op in ops])
            return cls(policies, getattr(t, 'prob', None))
        return cls([[OpSpec(t)]])

    def __call__(self, x, generator):
        n, device = x.size(0), x.device
        num = len(self.policies)
        if num == 1:
            choice = torch.zeros(n, dtype=torch.long, device=device)
        elif self.choice_prob is None:
            choice = torch.randint(0, num, (n, ), generator=generator, device=device)
        else:
            choice = torch.multinomial(self.choice_prob.to(device), n, replacement=True,
                                       generator=generator)
        depth = max(len(p) for p in self.policies)
        for slot in range(depth):
            groups: Dict[Tuple, List[Tuple[int, OpSpec]]] = {}
            for k, policy in enumerate(self.policies):
                if slot < len(policy):
                    groups.setdefault(policy[slot].key, []).append((k, policy[slot]))
            for members in groups.values():
                mask = torch.zeros(n, dtype=torch.bool, device=device)
                mag = None
                for k, spec in members:
                    applied, m = spec.sample(n, generator, device)
                    chosen = choice == k
                    mask = mask | (chosen & applied)
                    if m is None or isinstance(m, tuple):
                        mag = m
                    else:
                        mag = m if mag is None else torch.where(chosen, m, mag)
                x = _apply_masked(members[0][1], x, mask, mag, generator)
        return x


class BatchDeVriesCutout(BatchStep):
    """mmltr ``DeVriesCutout``: ``n_holes`` holes, integer centres uniform over the image, each
    hole ``[clip(c - L//2, 0, size), clip(c + L//2, 0, size))`` per axis, filled with ``pad_val``.
    """

    def __init__(self, length: int = 16, n_holes: int = 1, pad_val=0) -> None:
        self.length = int(length)
        self.n_holes = int(n_holes)
        self.pad_val = pad_val

    @classmethod
    def from_transform(cls, t) -> 'BatchDeVriesCutout':
        return cls(t.length, t.n_holes, t.pad_val)

    def __call__(self, x, generator):
        n, c, h, w = x.shape
        half = self.length // 2
        ys = torch.arange(h, device=x.device).view(1, h, 1)
        xs = torch.arange(w, device=x.device).view(1, 1, w)
        hole = torch.zeros((n, h, w), dtype=torch.bool, device=x.device)
        for _ in range(self.n_holes):
            cy = torch.randint(0, h, (n, ), generator=generator, device=x.device).view(n, 1, 1)
            cx = torch.randint(0, w, (n, ), generator=generator, device=x.device).view(n, 1, 1)
            hole |= ((ys >= (cy - half).clamp(0, h)) & (ys < (cy + half).clamp(0, h))
                     & (xs >= (cx - half).clamp(0, w)) & (xs < (cx + half).clamp(0, w)))
        return torch.where(hole.unsqueeze(1), _fill_tensor(self.pad_val, c, x).expand_as(x), x)


class BatchPipeline:
    """A list of batched steps, applied in order to a ``(N, C, H, W)`` batch.

    Input: ``uint8`` or float tensor; output: ``float32`` tensor with integer values 0-255 (the
    model's data preprocessor normalises it, exactly as for CPU-pipeline batches).
    """

    def __init__(self, steps: Sequence[BatchStep], descriptions: Sequence[str] = ()) -> None:
        self.steps = list(steps)
        self.descriptions = list(descriptions)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        x = x.float()
        for step in self.steps:
            x = step(x, generator)
        return x

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        inner = ', '.join(self.descriptions) if self.descriptions else ''
        return f'BatchPipeline([{inner}])'


def _build_cpu_transform(cfg):
    if isinstance(cfg, dict):
        from mmpretrain.registry import TRANSFORMS
        return TRANSFORMS.build(cfg)
    return cfg


def build_batch_pipeline(transforms: Sequence[Union[dict, object]]) -> BatchPipeline:
    """Translate CPU transforms (built objects or config dicts) into a :class:`BatchPipeline`.

    Loading transforms (``LoadImageFromFile``...) must not be in the list (the loop runs them once
    per image before caching); ``PackInputs`` is dropped. Anything without a batched equivalent
    raises :class:`UnsupportedTransformError` naming it.
    """
    steps, descriptions = [], []
    for cfg in transforms:
        t = _build_cpu_transform(cfg)
        kind = type(t).__name__
        if kind in IGNORED_TRANSFORMS:
            continue
        if kind in LOADING_TRANSFORMS:
            raise UnsupportedTransformError(
                f'{kind} is a loading transform: the fast path runs it once per image when it '
                'caches the dataset, it cannot be part of the batched pipeline.')
        if kind == 'RandomCrop':
            steps.append(BatchRandomCrop.from_transform(t))
        elif kind == 'RandomFlip':
            steps.append(BatchRandomFlip.from_transform(t))
        elif kind == 'DeVriesCutout':
            steps.append(BatchDeVriesCutout.from_transform(t))
        elif kind == 'AutoAugment' or kind in _OPS:
            try:
                steps.append(BatchOps.from_transform(t))
            except UnsupportedTransformError as e:
                raise UnsupportedTransformError(
                    f'{kind} contains {e.args[0]}, which has no batched version; supported ops: '
                    f'{", ".join(_OPS)}.') from None
        else:
            raise UnsupportedTransformError(
                f'The fast path has no batched version of the training transform {kind!r}. '
                f'Supported: {", ".join(SUPPORTED_TRANSFORMS)} (loading transforms '
                f'{", ".join(LOADING_TRANSFORMS)} run once at caching time; '
                f'{", ".join(IGNORED_TRANSFORMS)} are dropped). Give the loop an explicit '
                '`gpu_pipeline`, or train this config with the standard (CPU) loop.')
        descriptions.append(kind)
    return BatchPipeline(steps, descriptions)
