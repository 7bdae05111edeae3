"""Batched, device-side equivalents of a CPU training pipeline (the fast path's augmentation).

The fast train loop keeps a small-image dataset on the device as ``uint8`` and augments a whole
epoch at once. Every sample draws its own random parameters, with the same distributions as the
per-sample CPU transform, so a batch is a set of independent CPU-pipeline draws (not
bit-identical to a CPU run: the random numbers come from a ``torch.Generator``, not from NumPy in
the data-loader workers).

:func:`build_batch_pipeline` builds the batched steps **from the CPU transform objects** (the ones
the dataset's ``pipeline`` builds from the config, or ``gpu_pipeline`` dicts built with
MMPretrain's ``TRANSFORMS``): their attributes (probabilities, magnitudes, magnitude ranges and
levels, random sign, pad values, interpolation, directions) are read from the object, so the
batched pipeline is the CPU pipeline by construction. :data:`STEPS` maps each supported transform
to its step (anything else raises :class:`UnsupportedTransformError`):

====================  ==========================================================================
CPU transform         batched step (images are ``float32`` tensors holding integer values 0-255,
                      ``(N, C, H, W)``, channel order as the CPU pipeline: BGR for files)
====================  ==========================================================================
``RandomCrop``        MMPretrain: constant ``pad_val`` padding by ``padding`` (int / 2- / 4-tuple),
                      ``pad_if_needed``, then offsets uniform in ``[0, H_pad - h]``.
``RandomFlip``        MMCV: ``prob`` (float or list) over ``direction`` (horizontal, vertical,
                      diagonal or a list of them).
``AutoAugment``       each sample independently picks one sub-policy (``RandomChoice.prob`` or
                      uniform) and applies its ops in order, each with its own probability,
                      magnitude and random sign (the op table, :mod:`.ops`).
an op of :data:`OPS`  the same as a sub-policy of one op (``Shear``, ``Cutout``, ...).
``DeVriesCutout``     mmltr's: ``n_holes`` holes, integer centre uniform over the image, clipped
                      at every border (``[c - L//2, c + L//2)``), ``pad_val`` fill.
``MeanCutout``        mmltr's: top and left uniform on ``[-L//2, size - L)``, clipped at 0, filled
                      with the image's mean (truncated).
``RandomResizedCrop`` MMPretrain: per sample up to ``max_attempts`` (area, log-aspect) draws, the
                      first that fits, else the central crop; offsets uniform; resized as Pillow
                      does (``backend='pillow'``, bilinear / bicubic), exactly (:mod:`.filters`).
``ColorJitter``       MMPretrain, ``backend='pillow'``: brightness, contrast, saturation, hue in a
                      random order per sample, factors uniform in their ranges, Pillow's
                      arithmetic (exact; negative hue factors wrap, :mod:`.color`).
``RandomGrayscale``   MMCV: ``rand < prob``, the weighted channel sum truncated, repeated over
                      the channels (``keep_channels=True``).
``GaussianBlur``      like an op of :data:`OPS` (``prob``, radius magnitude): Pillow's box-blur
                      approximation, exact.
``RandomApply``       MMCV: the wrapped transforms (a batched sub-pipeline) on the samples with
                      ``rand < prob`` (:mod:`.wrappers`).
``MultiView``         MMPretrain: ``num_views[i]`` independent views of sub-pipeline ``i``; the
                      pipeline returns the list of the views' batches, in order; must be last.
``PackInputs``        ignored (the loop packs the batch itself).
====================  ==========================================================================

and mmltr's ``DifficultyNetAutoAugment`` (Difficulty-Net's CIFAR policy): each sample picks a
sub-policy, fires each op with its probability and draws its magnitude uniformly in the op's
interval; SciPy's cubic-spline warps filled with 0, PIL's colour ops (:mod:`.difficulty_net_ops`).

The kernels agree with the CPU transforms exactly or within one intensity level
(``tests/test_engine/test_fast_path/test_kernels.py`` and ``test_contrastive_kernels.py`` check
every op against MMPretrain's / MMCV's transform on real images); Difficulty-Net's ops equal
mmltr's CPU transforms on every pixel (``test_difficulty_net_ops.py``).
"""
import math
from numbers import Number
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.registry import TRANSFORMS

from . import geometric as G
from .contrastive import (
    GAUSSIAN_BLUR,
    BatchColorJitter,
    BatchRandomGrayscale,
    BatchRandomResizedCrop,
)
from .data import IGNORED_TRANSFORMS, LOADING_TRANSFORMS
from .difficulty_net_ops import BatchDifficultyNetAutoAugment, BatchMeanCutout
from .ops import OPS, OpSpec, apply_masked
from .utils import BatchStep, UnsupportedTransformError
from .wrappers import BatchMultiView, BatchRandomApply

__all__ = [
    'BatchStep', 'BatchRandomCrop', 'BatchRandomFlip', 'BatchOps', 'BatchDeVriesCutout',
    'BatchPipeline', 'STEPS', 'SUPPORTED_TRANSFORMS', 'build_batch_pipeline'
]


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

    def __call__(self, x, generator):
        if self.padding is not None:
            x = G.pad(x, *G.padding4(self.padding), self.pad_val)
        th, tw = self.crop_size
        if self.pad_if_needed:
            h_pad = math.ceil(max(0, th - x.size(2)) / 2)
            w_pad = math.ceil(max(0, tw - x.size(3)) / 2)
            x = G.pad(x, w_pad, h_pad, w_pad, h_pad, self.pad_val, self.padding_mode)
        n, c, h, w = x.shape
        if h == th and w == tw:
            return x
        if h < th or w < tw:
            raise ValueError(f'RandomCrop {self.crop_size} larger than the padded image {(h, w)}')
        oy = torch.randint(0, h - th + 1, (n, ), generator=generator, device=x.device)
        ox = torch.randint(0, w - tw + 1, (n, ), generator=generator, device=x.device)
        return G.crop(x, oy, ox, th, tw)


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
            if d not in G.FLIP_DIMS:
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
            x = G.flip(x, mask, d)
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
        if kind != 'AutoAugment':
            return cls([[OpSpec(t)]])
        policies = []
        try:
            for sub in t.transforms:  # each a mmcv Compose
                policies.append([OpSpec(op) for op in getattr(sub, 'transforms', sub)])
        except UnsupportedTransformError as e:
            raise UnsupportedTransformError(
                f'{kind} contains {e.args[0]}, which has no batched version; supported ops: '
                f'{", ".join(OPS)}.') from None
        return cls(policies, getattr(t, 'prob', None))

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
                x = apply_masked(members[0][1], x, mask, mag, generator)
        return x


class BatchDeVriesCutout(BatchStep):
    """mmltr ``DeVriesCutout``: ``n_holes`` holes with integer centres uniform over the image."""

    def __init__(self, length: int = 16, n_holes: int = 1, pad_val=0) -> None:
        self.length = int(length)
        self.n_holes = int(n_holes)
        self.pad_val = pad_val

    @classmethod
    def from_transform(cls, t) -> 'BatchDeVriesCutout':
        return cls(t.length, t.n_holes, t.pad_val)

    def __call__(self, x, generator):
        n, _, h, w = x.shape
        centres = []
        for _ in range(self.n_holes):
            cy = torch.randint(0, h, (n, ), generator=generator, device=x.device)
            cx = torch.randint(0, w, (n, ), generator=generator, device=x.device)
            centres.append((cy, cx))
        return G.devries_cutout(x, centres, self.length, self.pad_val)


class BatchPipeline:
    """A list of batched steps, applied in order to a ``(N, C, H, W)`` batch.

    Input: ``uint8`` or float tensor; output: ``float32`` tensor with integer values 0-255 (the
    model's data preprocessor normalises it, exactly as for CPU-pipeline batches), or, when the
    last step is a ``MultiView`` (``num_views`` is then its number of views), the list of
    ``num_views`` such tensors.
    """

    def __init__(self, steps: Sequence[BatchStep], descriptions: Sequence[str] = (),
                 num_views: Optional[int] = None) -> None:
        self.steps = list(steps)
        self.descriptions = list(descriptions)
        self.num_views = num_views

    def __call__(self, x: torch.Tensor,
                 generator: torch.Generator) -> Union[torch.Tensor, List[torch.Tensor]]:
        x = x.float()
        for step in self.steps:
            x = step(x, generator)
        return x

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        inner = ', '.join(self.descriptions) if self.descriptions else ''
        views = f', {self.num_views} views' if self.num_views is not None else ''
        return f'BatchPipeline([{inner}]{views})'


#: CPU transform class name -> ``from_transform(built transform) -> BatchStep``; every op of the
#: op table (:data:`.ops.OPS`) is a :class:`BatchOps` as well.
STEPS: Dict[str, Callable[[object], BatchStep]] = dict(
    RandomCrop=BatchRandomCrop.from_transform,
    RandomFlip=BatchRandomFlip.from_transform,
    AutoAugment=BatchOps.from_transform,
    DeVriesCutout=BatchDeVriesCutout.from_transform,
    DifficultyNetAutoAugment=BatchDifficultyNetAutoAugment.from_transform,
    MeanCutout=BatchMeanCutout.from_transform,
    RandomResizedCrop=BatchRandomResizedCrop.from_transform,
    ColorJitter=BatchColorJitter.from_transform,
    RandomGrayscale=BatchRandomGrayscale.from_transform,
    GaussianBlur=lambda t: BatchOps([[OpSpec(t, GAUSSIAN_BLUR)]]),
    RandomApply=BatchRandomApply.from_transform,
    MultiView=BatchMultiView.from_transform)
SUPPORTED_TRANSFORMS = tuple(STEPS) + tuple(OPS)


def _step_builder(kind: str) -> Optional[Callable[[object], BatchStep]]:
    if kind in STEPS:
        return STEPS[kind]
    return BatchOps.from_transform if kind in OPS else None


def _build_cpu_transform(cfg):
    return TRANSFORMS.build(cfg) if isinstance(cfg, dict) else cfg


def build_batch_pipeline(transforms: Sequence[Union[dict, object]]) -> BatchPipeline:
    """Translate CPU transforms (built objects or config dicts) into a :class:`BatchPipeline`.

    Loading transforms (``LoadImageFromFile``...) must not be in the list (the loop runs them once
    per image before caching); ``PackInputs`` is dropped. Anything without a batched equivalent
    raises :class:`UnsupportedTransformError` naming it. A ``MultiView`` must come last.
    """
    steps, descriptions, num_views = [], [], None
    for cfg in transforms:
        t = _build_cpu_transform(cfg)
        kind = type(t).__name__
        if kind in IGNORED_TRANSFORMS:
            continue
        if num_views is not None:
            raise UnsupportedTransformError(
                f'{kind} after MultiView: the fast path needs MultiView as the last training '
                'transform (before PackInputs); move it into the views\' pipelines.')
        if kind in LOADING_TRANSFORMS:
            raise UnsupportedTransformError(
                f'{kind} is a loading transform: the fast path runs it once per image when it '
                'caches the dataset, it cannot be part of the batched pipeline.')
        build = _step_builder(kind)
        if build is None:
            raise UnsupportedTransformError(
                f'The fast path has no batched version of the training transform {kind!r}. '
                f'Supported: {", ".join(list(STEPS) + list(OPS))} (loading transforms '
                f'{", ".join(LOADING_TRANSFORMS)} run once at caching time; '
                f'{", ".join(IGNORED_TRANSFORMS)} are dropped). Give the loop an explicit '
                '`gpu_pipeline`, or train this config with the standard (CPU) loop.')
        steps.append(build(t))
        descriptions.append(kind)
        if kind == 'MultiView':
            num_views = steps[-1].num_views
    return BatchPipeline(steps, descriptions, num_views)
