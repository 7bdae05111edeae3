"""Batched photometric kernels: MMPretrain's colour ops with ``mmcv``'s rounding and truncation.

Images are ``float`` tensors ``(N, C, H, W)`` holding integer values 0-255; magnitudes are ``(N,)``
tensors. Results agree with the CPU transform exactly or within one intensity level. Where mmcv
differs from *PIL* (the official DBM / AutoAugment code), these kernels follow mmcv: PIL's
sharpness leaves the 1-pixel border untouched (mmcv filters it with a reflected border), and PIL's
``Color``/``Contrast`` use the ITU-R 601 luma on RGB while mmcv applies cv2's BGR->gray weights to
whatever channel order the pipeline carries.
"""
import torch
import torch.nn.functional as F

from .utils import per_sample, round_u8, trunc_u8

__all__ = [
    'auto_contrast', 'invert', 'equalize', 'solarize', 'solarize_add', 'posterize', 'contrast',
    'color', 'brightness', 'sharpness'
]


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


def _blend_trunc(x: torch.Tensor, degenerate: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``cv2.addWeighted(float32 img, f, float32 deg, 1 - f, 0)`` -> clip -> ``astype(uint8)``."""
    f = per_sample(factor).to(torch.float64)
    out = x.to(torch.float64) * f + degenerate.to(torch.float64) * (1.0 - f)
    return trunc_u8(out).to(x.dtype)


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


def auto_contrast(x, mag=None):
    """Per-channel min/max stretch, float64 LUT truncated like ``mmcv.auto_contrast``."""
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    low = flat.amin(dim=2).to(torch.float64)
    high = flat.amax(dim=2).to(torch.float64)
    # a true division (`255.0 / tensor` is `reciprocal() * 255`, off by an ulp, which flips
    # whole levels after truncation)
    scale = torch.full_like(low, 255.0) / (high - low).clamp_min(1.0)
    offset = -low * scale
    v = torch.arange(256, device=x.device, dtype=torch.float64).view(1, 1, 256)
    lut = torch.trunc((v * scale.unsqueeze(-1) + offset.unsqueeze(-1)).clamp(0.0, 255.0))
    identity = v.expand(n, c, 256)
    lut = torch.where((low < high).unsqueeze(-1), lut, identity)
    return _apply_lut(x, lut)


def invert(x, mag=None):
    """``255 - x``."""
    return 255.0 - x


def equalize(x, mag=None):
    """``mmcv.imequalize`` per channel (PIL's algorithm; integer arithmetic, identical)."""
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


def solarize(x, thr):
    """``x < thr ? x : 255 - x``."""
    return torch.where(x < per_sample(thr).to(x.dtype), x, 255.0 - x)


def solarize_add(x, mag, thr=128):
    """``x < thr ? min(x + m, 255) : x`` (truncated)."""
    added = torch.trunc(
        torch.clamp_max(x.to(torch.float64) + per_sample(mag).to(torch.float64), 255.0))
    return torch.where(x < thr, added.to(x.dtype), x)


def posterize(x, bits):
    """``bits = ceil(m)``, keep the top bits."""
    bits = torch.ceil(bits.to(torch.float64)).clamp(0, 8)
    div = per_sample(torch.pow(2.0, 8.0 - bits).to(x.dtype))
    return torch.floor(x / div) * div


def contrast(x, mag):
    """Blend with the (rounded) mean of the cv2 BGR->gray image, truncated."""
    gray = _gray_cv2(x)
    n = x.size(0)
    mean = gray.reshape(n, -1).to(torch.float64).mean(dim=1)
    mean = torch.round(mean).to(x.dtype)
    return _blend_trunc(x, per_sample(mean).expand_as(x), 1.0 + mag)


def color(x, mag):
    """MMPretrain ``ColorTransform``: blend with the cv2 BGR->gray image, rounded
    (``cv2.addWeighted`` on uint8)."""
    gray = _gray_cv2(x)
    alpha = per_sample(1.0 + mag).to(torch.float32)
    out = x.float() * alpha + gray.float() * (1.0 - alpha)
    return round_u8(out).to(x.dtype)


def brightness(x, mag):
    """``x * (1 + m)``, truncated."""
    return _blend_trunc(x, torch.zeros_like(x), 1.0 + mag)


_SMOOTH = torch.tensor([[1., 1., 1.], [1., 5., 1.], [1., 1., 1.]])


def sharpness(x, mag):
    """Blend with the 3x3 SMOOTH-filtered image (reflect-101 border, rounded), truncated."""
    c = x.size(1)
    kernel = _SMOOTH.to(device=x.device, dtype=x.dtype).view(1, 1, 3, 3).repeat(c, 1, 1, 1)
    padded = F.pad(x, (1, 1, 1, 1), mode='reflect')  # cv2's BORDER_REFLECT_101
    degenerate = round_u8(F.conv2d(padded, kernel, groups=c) / 13.0)
    return _blend_trunc(x, degenerate, 1.0 + mag)
