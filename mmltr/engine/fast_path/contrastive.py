"""Batched steps of the contrastive-view transforms (SimCLR-style views, as BCL trains on):
``RandomResizedCrop``, ``ColorJitter``, ``RandomGrayscale`` and ``GaussianBlur``.

Each step is built from the CPU transform object (``from_transform``), draws every sample's own
random parameters with the CPU transform's distributions (:meth:`sample`), and applies them with
the kernels of :mod:`.filters`, :mod:`.color` and :mod:`.pil_photometric` (:meth:`apply`, which
the parity tests call with fixed parameters). ``GaussianBlur`` is an MMPretrain
``BaseAugTransform`` like the ops of the op table (:mod:`.ops`), which are those of the
AutoAugment / RandAugment policies: its step is an op step (:class:`.pipeline.BatchOps`) whose
row, :data:`GAUSSIAN_BLUR`, lives here. ``RandomApply`` and ``MultiView`` are wrappers
(:mod:`.wrappers`).
"""
import math
from typing import Optional, Sequence, Tuple

import torch

from . import color as C
from . import pil_photometric as P
from .filters import PIL_FILTERS, gaussian_blur, resized_crop
from .ops import Op
from .utils import BatchStep, UnsupportedTransformError, apply_where, where_samples

__all__ = ['BatchRandomResizedCrop', 'BatchColorJitter', 'BatchRandomGrayscale', 'GAUSSIAN_BLUR']

_F64 = torch.float64


def _uniform(n: int, low: float, high: float, generator, device, shape=()) -> torch.Tensor:
    """``np.random.uniform(low, high)`` per sample, float64."""
    u = torch.rand((n, ) + tuple(shape), generator=generator, device=device, dtype=_F64)
    return low + (high - low) * u


class BatchRandomResizedCrop(BatchStep):
    """MMPretrain ``RandomResizedCrop``: a random window per sample resized to ``scale``.

    The window follows ``rand_crop_params``: up to ``max_attempts`` draws of an area fraction
    ``U(crop_ratio_range)`` and a log-uniform aspect ratio, sizes ``round(sqrt(area * ratio))`` x
    ``round(sqrt(area / ratio))``; the first draw that fits is taken, with offsets uniform over the
    valid positions; if none fits, the central crop of the clamped aspect ratio. Resizing:
    Pillow's (``backend='pillow'``; bilinear or bicubic), exactly (:func:`.filters.resized_crop`).
    """

    def __init__(self, scale, crop_ratio_range=(0.08, 1.0), aspect_ratio_range=(3. / 4., 4. / 3.),
                 max_attempts: int = 10, interpolation: str = 'bilinear',
                 backend: str = 'pillow') -> None:
        if backend != 'pillow' or interpolation not in PIL_FILTERS:
            raise UnsupportedTransformError(
                f'RandomResizedCrop(interpolation={interpolation!r}, backend={backend!r}) has no '
                "batched version: the fast path resizes as Pillow does (backend='pillow', "
                f'interpolation {" or ".join(map(repr, PIL_FILTERS))}); set those in the '
                'config, or train with the standard (CPU) loop.')
        self.scale = (int(scale), int(scale)) if isinstance(scale, (int, float)) else tuple(
            int(s) for s in scale)
        self.crop_ratio_range = tuple(float(v) for v in crop_ratio_range)
        self.aspect_ratio_range = tuple(float(v) for v in aspect_ratio_range)
        self.max_attempts = int(max_attempts)
        self.interpolation = interpolation

    @classmethod
    def from_transform(cls, t) -> 'BatchRandomResizedCrop':
        return cls(t.scale, t.crop_ratio_range, t.aspect_ratio_range, t.max_attempts,
                   t.interpolation, t.backend)

    def _fallback(self, h: int, w: int) -> Tuple[int, int]:
        """The central crop's ``(th, tw)`` (Python arithmetic, as on the CPU)."""
        ratio_min, ratio_max = min(self.aspect_ratio_range), max(self.aspect_ratio_range)
        in_ratio = float(w) / float(h)
        if in_ratio < ratio_min:
            return int(round(w / ratio_min)), w
        if in_ratio > ratio_max:
            return h, int(round(h * ratio_max))
        return h, w

    def sample(self, n: int, h: int, w: int, generator: torch.Generator,
               device) -> Tuple[torch.Tensor, ...]:
        """``(oy, ox, th, tw)``: ``(N,)`` float64 tensors of whole numbers."""
        fh, fw = self._fallback(h, w)
        th = torch.full((n, ), float(fh), dtype=_F64, device=device)
        tw = torch.full((n, ), float(fw), dtype=_F64, device=device)
        found = torch.zeros(n, dtype=torch.bool, device=device)
        if self.max_attempts > 0:
            shape = (self.max_attempts, )
            area = _uniform(n, *self.crop_ratio_range, generator, device, shape) * (h * w)
            log_lo, log_hi = (math.log(v) for v in self.aspect_ratio_range)
            ratio = torch.exp(_uniform(n, log_lo, log_hi, generator, device, shape))
            cand_w = torch.round(torch.sqrt(area * ratio))
            cand_h = torch.round(torch.sqrt(area / ratio))
            fits = (cand_w > 0) & (cand_w <= w) & (cand_h > 0) & (cand_h <= h)
            first = fits.to(torch.uint8).argmax(dim=1, keepdim=True)  # the first draw that fits
            found = fits.any(dim=1)
            th = torch.where(found, cand_h.gather(1, first).squeeze(1), th)
            tw = torch.where(found, cand_w.gather(1, first).squeeze(1), tw)
        u = torch.rand((2, n), generator=generator, device=device, dtype=_F64)
        oy = torch.where(found, torch.floor(u[0] * (h - th + 1)), float((h - fh) // 2))
        ox = torch.where(found, torch.floor(u[1] * (w - tw + 1)), float((w - fw) // 2))
        return oy, ox, th, tw

    def apply(self, x: torch.Tensor, params: Sequence[torch.Tensor]) -> torch.Tensor:
        return resized_crop(x, *params, self.scale, self.interpolation)

    def __call__(self, x, generator):
        return self.apply(x, self.sample(x.size(0), x.size(2), x.size(3), generator, x.device))


class BatchColorJitter(BatchStep):
    """MMPretrain ``ColorJitter`` (``backend='pillow'``): brightness, contrast, saturation and
    hue in a random order per sample, each factor uniform in its range (``None``: the op is
    skipped), with Pillow's arithmetic (:mod:`.pil_photometric`, :mod:`.color`; hue deviates from
    the CPU transform for negative factors, see :mod:`.color`)."""

    #: the CPU transform's op indices (``np.random.permutation(4)``) -> Pillow kernel
    KERNELS = (P.pil_brightness, P.pil_contrast, P.pil_color, C.pil_hue)

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None,
                 backend: str = 'pillow') -> None:
        if backend != 'pillow':
            raise UnsupportedTransformError(
                f"ColorJitter(backend={backend!r}) is not supported on the fast path (use "
                "backend='pillow', MMPretrain's default).")
        self.ranges = tuple(None if r is None else (float(r[0]), float(r[1]))
                            for r in (brightness, contrast, saturation, hue))

    @classmethod
    def from_transform(cls, t) -> 'BatchColorJitter':
        return cls(t.brightness, t.contrast, t.saturation, t.hue, t.backend)

    def sample(self, n: int, generator: torch.Generator,
               device) -> Tuple[torch.Tensor, Tuple[Optional[torch.Tensor], ...]]:
        """``(order, factors)``: ``order`` ``(N, 4)`` a random permutation of the op indices per
        sample; ``factors[k]`` the ``(N,)`` factors of op ``k`` (``None`` if disabled)."""
        order = torch.rand((n, 4), generator=generator, device=device).argsort(dim=1)
        factors = tuple(None if r is None else _uniform(n, *r, generator, device)
                        for r in self.ranges)
        return order, factors

    def apply(self, x: torch.Tensor, order: torch.Tensor,
              factors: Sequence[Optional[torch.Tensor]]) -> torch.Tensor:
        if x.size(1) != 3:
            raise ValueError(f'ColorJitter needs 3-channel images, got {x.size(1)} channels.')
        x = x.flip(1)  # the CPU transform hands img[..., ::-1] to Pillow
        for slot in range(4):
            for k, factor in enumerate(factors):
                if factor is None:
                    continue
                kernel = self.KERNELS[k]
                x = apply_where(order[:, slot] == k, x,
                                lambda part, sel, f=factor, fn=kernel: fn(part, f[sel]))
        return x.flip(1)

    def __call__(self, x, generator):
        return self.apply(x, *self.sample(x.size(0), generator, x.device))


class BatchRandomGrayscale(BatchStep):
    """MMCV ``RandomGrayscale``: with probability ``prob`` (``random() < prob``) the
    ``channel_weights``-weighted sum of the channels, truncated (:func:`.color.weighted_gray`),
    repeated over the channels (``keep_channels=True``; ``False`` would make a batch of mixed
    channel counts and is refused). One-channel images stay as they are."""

    def __init__(self, prob: float = 0.1, keep_channels: bool = False,
                 channel_weights=(1., 1., 1.), color_format: str = 'bgr') -> None:
        if color_format == 'hsv':
            raise UnsupportedTransformError(
                "RandomGrayscale(color_format='hsv') is not supported on the fast path.")
        if not keep_channels and prob > 0:
            raise UnsupportedTransformError(
                'RandomGrayscale(keep_channels=False) turns some images of a batch into 1-channel '
                'images; the fast path needs keep_channels=True.')
        self.prob = float(prob)
        self.keep_channels = bool(keep_channels)
        self.channel_weights = tuple(float(w) for w in channel_weights)

    @classmethod
    def from_transform(cls, t) -> 'BatchRandomGrayscale':
        return cls(t.prob, t.keep_channels, t.channel_weights, t.color_format)

    def __call__(self, x, generator):
        applied = torch.rand(x.size(0), generator=generator, device=x.device) < self.prob
        if x.size(1) == 1:
            return x
        gray = C.weighted_gray(x, self.channel_weights).expand_as(x)
        return where_samples(applied, gray, x)


#: MMPretrain ``GaussianBlur`` as an op: ``PIL.ImageFilter.GaussianBlur(radius)`` (exact, see
#: :func:`.filters.gaussian_blur`), the radius fixed or drawn like any ``BaseAugTransform``
#: magnitude, never negated, applied with ``prob``.
GAUSSIAN_BLUR = Op(gaussian_blur, 'radius', signed=False)

