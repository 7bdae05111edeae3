"""Batched steps for Difficulty-Net's CIFAR augmentation: ``DifficultyNetAutoAugment`` and
``MeanCutout`` (:mod:`mmltr.datasets.transforms.difficulty_net_augment`).

Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed Recognition,
WACV 2023, https://arxiv.org/abs/2209.02960 (its released CIFAR pipeline).

:class:`BatchDifficultyNetAutoAugment` reads the CPU transform's sub-policies and channel order.
Each sample draws, as the CPU transform does for one image: a sub-policy uniformly, then for
each of its ops ``u < prob`` (``u`` uniform on [0, 1)) and a magnitude uniform in the op's
interval (:func:`~mmltr.datasets.transforms.difficulty_net_augment.magnitude_interval`: between
points ``m`` and ``m + 1`` of the op's signed 11-point scale, no random sign). The ops (on the
CPU each result equals the CPU transform's on every pixel):

* ``ShearX``, ``ShearY``, ``TranslateX``, ``TranslateY``, ``Rotate``: one cubic-spline warp per
  sample (:func:`.spline_warp.spline_affine`, SciPy's ``affine_transform(order=3,
  mode='constant')``, filled with 0), the released op's matrix conjugated to the point
  ``(H/2 + 0.5, W/2 + 0.5)``; translations are ``m * W`` / ``m * H`` pixels, ``Rotate`` takes
  degrees.
* ``AutoContrast``, ``Equalize``, ``Invert``, ``Solarize``, ``Posterize``: MMPretrain's kernels
  (:mod:`.photometric`; mmcv implements PIL's algorithm for these). ``Solarize`` keeps
  ``x < m`` (computed as ``x < ceil(m)``, the same for integer pixels), ``Posterize`` keeps
  ``int(round(m))`` bits.
* ``Contrast``, ``Color``, ``Brightness``, ``Sharpness``: PIL's ``ImageEnhance``
  (:mod:`.pil_photometric`: float32 blend, luma on RGB, Sharpness leaves the border alone). A
  ``'bgr'`` transform flips the channels to RGB around the ops, as the CPU transform does.

:class:`BatchMeanCutout`: one ``length`` x ``length`` hole per sample, top and left drawn
independently and uniformly from ``[-length // 2, size - length)`` and clipped at 0, filled with
the mean of the whole image (all channels) truncated to an integer, as the CPU transform.
"""
import math
from typing import Callable, Dict, List, Sequence, Tuple

import torch

from mmltr.datasets.transforms.difficulty_net_augment import SCALES, magnitude_interval

from . import photometric as P
from . import pil_photometric as Q
from .spline_warp import spline_affine
from .utils import BatchStep, UnsupportedTransformError, apply_where, per_sample

__all__ = ['WARPS', 'PHOTOMETRIC', 'warp_matrices', 'BatchDifficultyNetAutoAugment',
           'BatchMeanCutout', 'mean_cutout']


# ----------------------------------------------------------------------------------------------
# the op table
# ----------------------------------------------------------------------------------------------
def _shear_x(mat, m, h, w):
    mat[:, 0, 1] = m


def _shear_y(mat, m, h, w):
    mat[:, 1, 0] = m


def _translate_x(mat, m, h, w):
    mat[:, 1, 2] = w * m


def _translate_y(mat, m, h, w):
    mat[:, 0, 2] = h * m


def _rotate(mat, m, h, w):
    t = m * (math.pi / 180.0)  # np.deg2rad
    mat[:, 0, 0] = torch.cos(t)
    mat[:, 0, 1] = -torch.sin(t)
    mat[:, 1, 0] = torch.sin(t)
    mat[:, 1, 1] = torch.cos(t)


#: warp -> ``fill(mat, m, h, w)``: writes the released op's (row, column) matrix, before
#: centring, into the ``(N, 2, 3)`` identity ``mat`` for magnitudes ``m``.
WARPS: Dict[str, Callable] = dict(ShearX=_shear_x, ShearY=_shear_y, TranslateX=_translate_x,
                                  TranslateY=_translate_y, Rotate=_rotate)

#: photometric op -> ``kernel(x, m)`` with per-sample magnitudes ``m``.
PHOTOMETRIC: Dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = dict(
    AutoContrast=lambda x, m: P.auto_contrast(x),
    Invert=lambda x, m: P.invert(x),
    Equalize=lambda x, m: P.equalize(x),
    Solarize=lambda x, m: P.solarize(x, torch.ceil(m)),
    Posterize=lambda x, m: P.posterize(x, torch.round(m)),
    Contrast=Q.pil_contrast,
    Color=Q.pil_color,
    Brightness=Q.pil_brightness,
    Sharpness=Q.pil_sharpness,
)


def warp_matrices(names: Sequence[str], op: torch.Tensor, m: torch.Tensor, h: int,
                  w: int) -> torch.Tensor:
    """``(N, 2, 3)`` output -> input maps (row, column) of the warps ``names[op]`` with
    magnitudes ``m``, about ``o = (H/2 + 0.5, W/2 + 0.5)``: ``p -> A (p - o) + o + t``; the
    identity for an ``op`` that is not a warp."""
    n = op.numel()
    eye = torch.zeros(n, 2, 3, dtype=torch.float64, device=op.device)
    eye[:, 0, 0] = eye[:, 1, 1] = 1.0
    mat = eye
    m = m.to(torch.float64)
    for i, name in enumerate(names):
        if name in WARPS:
            one = eye.clone()
            WARPS[name](one, m, h, w)
            mat = torch.where((op == i).view(n, 1, 1), one, mat)
    o = torch.tensor([h / 2 + 0.5, w / 2 + 0.5], dtype=torch.float64, device=op.device)
    a = mat[:, :, :2]
    shift = mat[:, :, 2] + o - (a @ o.view(2, 1)).view(n, 2)
    return torch.cat([a, shift.unsqueeze(-1)], dim=2)


# ----------------------------------------------------------------------------------------------
# the steps
# ----------------------------------------------------------------------------------------------
class BatchDifficultyNetAutoAugment(BatchStep):
    """mmltr ``DifficultyNetAutoAugment``, per sample (see the module docstring).

    Args:
        policies: sub-policies of ``(op, probability, magnitude index)``.
        channel_order (str): ``'rgb'`` or ``'bgr'``, the batch's channel order.
    """

    def __init__(self, policies: Sequence[Sequence[Tuple[str, float, int]]],
                 channel_order: str = 'rgb') -> None:
        if not policies:
            raise ValueError('DifficultyNetAutoAugment: empty policies')
        self.names: List[str] = list(WARPS) + list(PHOTOMETRIC)
        self.channel_order = channel_order
        slots = max(len(sub) for sub in policies)
        self.ops = torch.full((len(policies), slots), -1, dtype=torch.long)
        self.probs = torch.zeros(len(policies), slots, dtype=torch.float64)
        self.low = torch.zeros(len(policies), slots, dtype=torch.float64)
        self.high = torch.zeros(len(policies), slots, dtype=torch.float64)
        for k, sub in enumerate(policies):
            for s, (op, prob, index) in enumerate(sub):
                if op not in self.names:
                    raise UnsupportedTransformError(
                        f'DifficultyNetAutoAugment op {op!r} has no batched version; '
                        f'supported: {", ".join(self.names)}.')
                self.ops[k, s] = self.names.index(op)
                self.probs[k, s] = float(prob)
                if op in SCALES:
                    self.low[k, s], self.high[k, s] = magnitude_interval(op, int(index))
        #: per slot, the op indices some sub-policy puts there
        self.slot_ops = [sorted(set(self.ops[:, s].tolist()) - {-1}) for s in range(slots)]
        self.is_warp = torch.tensor([name in WARPS for name in self.names] + [False])
        self._device_tables: Dict[str, Tuple[torch.Tensor, ...]] = {}

    def _tables(self, device) -> Tuple[torch.Tensor, ...]:
        """``(ops, probs, low, high, is_warp)`` on ``device`` (copied once)."""
        key = str(device)
        if key not in self._device_tables:
            self._device_tables[key] = tuple(
                t.to(device) for t in (self.ops, self.probs, self.low, self.high, self.is_warp))
        return self._device_tables[key]

    @classmethod
    def from_transform(cls, t) -> 'BatchDifficultyNetAutoAugment':
        return cls(t.policies, t.channel_order)

    def sample(self, n: int, generator: torch.Generator, device) -> Tuple[torch.Tensor, ...]:
        """Per-sample draws: ``(ops, fired, magnitudes)``, each ``(N, slots)``; ``ops`` indexes
        :attr:`names` (-1: the sub-policy has no op in that slot)."""
        choice = torch.randint(0, self.ops.size(0), (n, ), generator=generator, device=device)
        ops, probs, low, high = (t[choice] for t in self._tables(device)[:4])
        u = torch.rand(ops.shape, generator=generator, device=device, dtype=torch.float64)
        fired = (u < probs) & (ops >= 0)
        u = torch.rand(ops.shape, generator=generator, device=device, dtype=torch.float64)
        return ops, fired, low + (high - low) * u

    def apply(self, x: torch.Tensor, ops: torch.Tensor, fired: torch.Tensor,
              mag: torch.Tensor) -> torch.Tensor:
        """Apply the draws of :meth:`sample` to ``x``, slot by slot."""
        bgr = self.channel_order == 'bgr' and x.size(1) == 3
        if bgr:
            x = x.flip(1)
        h, w = x.shape[-2:]
        for s, present in enumerate(self.slot_ops):
            op, on, m = ops[:, s], fired[:, s], mag[:, s]
            if any(self.names[i] in WARPS for i in present):
                mask = on & self._tables(x.device)[4][op]  # op -1 reads the trailing False
                x = apply_where(mask, x, lambda part, sel, op=op, m=m: spline_affine(
                    part, warp_matrices(self.names, op[sel], m[sel], h, w)))
            for i in present:
                if self.names[i] in PHOTOMETRIC:
                    kernel = PHOTOMETRIC[self.names[i]]
                    x = apply_where(on & (op == i), x,
                                    lambda part, sel, m=m, kernel=kernel: kernel(part, m[sel]))
        return x.flip(1) if bgr else x

    def __call__(self, x, generator):
        return self.apply(x, *self.sample(x.size(0), generator, x.device))


def mean_cutout(x: torch.Tensor, top: torch.Tensor, left: torch.Tensor,
                length: int) -> torch.Tensor:
    """Holes ``[max(top, 0), top + length) x [max(left, 0), left + length)`` filled with each
    image's mean over all its pixels and channels, truncated (NumPy's float -> uint8)."""
    n, _, h, w = x.shape
    fill = torch.trunc(x.to(torch.float64).mean(dim=(1, 2, 3))).to(x.dtype)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    top, left = top.view(n, 1, 1), left.view(n, 1, 1)
    hole = (rows >= top) & (rows < top + length) & (cols >= left) & (cols < left + length)
    return torch.where(hole.unsqueeze(1), per_sample(fill), x)


class BatchMeanCutout(BatchStep):
    """mmltr ``MeanCutout``, per sample (see the module docstring)."""

    def __init__(self, length: int = 16) -> None:
        self.length = int(length)

    @classmethod
    def from_transform(cls, t) -> 'BatchMeanCutout':
        return cls(t.length)

    def corners(self, n: int, h: int, w: int, generator: torch.Generator,
                device) -> Tuple[torch.Tensor, torch.Tensor]:
        """Per-sample ``(top, left)``, unclipped, each uniform on ``[-length // 2, size -
        length)``."""
        if h <= self.length or w <= self.length:
            raise ValueError(f'MeanCutout: the image ({h}x{w}) must be larger than the hole '
                             f'(length={self.length}).')
        low = -(self.length // 2)
        top = torch.randint(low, h - self.length, (n, ), generator=generator, device=device)
        left = torch.randint(low, w - self.length, (n, ), generator=generator, device=device)
        return top, left

    def __call__(self, x, generator):
        n, _, h, w = x.shape
        return mean_cutout(x, *self.corners(n, h, w, generator, x.device), self.length)
