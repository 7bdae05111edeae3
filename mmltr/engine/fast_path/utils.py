"""Conventions shared by the fast path's modules.

Batched images are ``float`` tensors ``(N, C, H, W)`` holding integer values 0-255 (the uint8
values of the CPU pipeline); per-sample parameters are ``(N,)`` tensors. The helpers below
broadcast those, build fill colours, and reproduce OpenCV's / NumPy's conversions back to uint8.
"""
import os
from contextlib import nullcontext
from numbers import Number
from typing import Callable, Optional, Union

import torch

from mmltr.utils import unwrap_model


class UnsupportedTransformError(NotImplementedError):
    """A CPU transform (or one of its options) has no batched equivalent in the fast path."""


class BatchStep:
    """One step of a batched pipeline: ``(x, generator) -> x``."""

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError


def per_sample(v: torch.Tensor) -> torch.Tensor:
    """``(N,)`` -> ``(N, 1, 1, 1)``, to broadcast one value per sample over an image batch."""
    return v.view(-1, 1, 1, 1)


def where_samples(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a`` for the samples in the ``(N,)`` boolean ``mask``, else ``b``."""
    return torch.where(per_sample(mask), a, b)


def apply_where(mask: torch.Tensor, x: torch.Tensor,
                fn: Callable[[torch.Tensor, Union[slice, torch.Tensor]], torch.Tensor]
                ) -> torch.Tensor:
    """``fn`` applied to the samples of ``x`` in the ``(N,)`` boolean ``mask``, the others kept.

    ``fn(part, sel)`` gets the samples and their selector, to pick per-sample parameters with
    ``param[sel]``. On CUDA ``fn`` runs on the whole batch (``sel = slice(None)``) and
    ``torch.where`` keeps the unselected samples: no host synchronisation. On the CPU only the
    selected samples are computed (``sel``: their indices).
    """
    if x.is_cuda:
        return where_samples(mask, fn(x, slice(None)), x)
    idx = mask.nonzero().flatten()
    if idx.numel() == 0:
        return x
    out = x.clone()
    out[idx] = fn(x[idx], idx)
    return out


def fill_tensor(pad_val, channels: int, x: torch.Tensor) -> torch.Tensor:
    """``pad_val`` (number or per-channel sequence) as a ``(1, C, 1, 1)`` tensor like ``x``."""
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


def trunc_u8(v: torch.Tensor) -> torch.Tensor:
    """``np.clip(v, 0, 255).astype(np.uint8)`` (truncation)."""
    return torch.trunc(v.clamp(0.0, 255.0))


def round_u8(v: torch.Tensor) -> torch.Tensor:
    """``saturate_cast<uchar>`` (round half to even, then saturate)."""
    return torch.round(v).clamp(0.0, 255.0)


def exact_div(a: torch.Tensor, b: float) -> torch.Tensor:
    """``a / b`` correctly rounded, as C divides: the divisor is a (one-element) tensor. On CUDA
    a Python-number divisor becomes a multiplication by its reciprocal, which is one rounding
    more (an ulp off, enough to flip a truncation)."""
    return a / torch.full((1, ) * a.dim(), float(b), dtype=a.dtype, device=a.device)


def model_device(model) -> torch.device:
    """The device of ``model``'s first parameter (CUDA if available for a parameterless one)."""
    for p in unwrap_model(model).parameters():
        return p.device
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def default_workers() -> int:
    """Threads that decode a dataset once: ``min(8, cpu_count)``."""
    return max(1, min(8, (os.cpu_count() or 1)))


def autocast(device: torch.device, dtype: Optional[str]):
    """``torch.autocast`` to the torch dtype named ``dtype`` on ``device``; no-op for None."""
    if not dtype:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=getattr(torch, dtype))
