"""Compatibility fixes that mmltr applies on import.

**Checkpoints.** ``torch.load`` defaults to ``weights_only=True`` since torch 2.6. mmengine 0.10.7
(the newest release) loads its own checkpoints with a bare ``torch.load(filename,
map_location=...)``, and every checkpoint mmengine writes holds a ``MessageHub`` (``HistoryBuffer``
objects, numpy scalars) and often an ``mmengine.Config``: with torch >= 2.6 ``--resume`` and
``load_from`` fail with an ``UnpicklingError``. The fix upstream
(https://github.com/open-mmlab/mmengine/pull/1670) is not released.

mmltr re-registers mmengine's loader for local paths (the ``''`` scheme, used by ``--resume``,
``load_from`` and ``auto_resume``) so that it calls ``torch.load(..., weights_only=False)``, which
is exactly what mmengine did on torch < 2.6, and its loader for ``http://`` / ``https://`` URLs
(``load_from='https://...'``) so that the downloaded file is loaded the same way (mmengine leaves
``weights_only`` to the download helper's default). As with any pickle, only load checkpoints you
trust. The overrides are idempotent.

**Hue jitter.** mmcv 2.2.0's ``adjust_hue`` (MMPretrain's ``ColorJitter`` with ``hue > 0``, e.g.
BCL's and SimCLR's views) shifts the hue channel by ``np.uint8(hue_factor * 255)``, which NumPy >= 2
refuses for a negative factor (``OverflowError``: half of all draws). mmltr replaces
``mmcv.adjust_hue`` by the same function with torchvision's cast,
``np.array(hue_factor * 255).astype(np.uint8)`` (the shift wraps around, as NumPy 1 did).
"""
import inspect
import os
import os.path as osp

import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric
import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader
from PIL import Image

_PATCHED_ATTR = '_mmltr_weights_only_patch'


def _torch_load_supports_weights_only() -> bool:
    return 'weights_only' in inspect.signature(torch.load).parameters


def load_from_local_trusted(filename: str, map_location=None):
    """Load a local checkpoint written by mmengine (``weights_only=False``)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if _torch_load_supports_weights_only():
        return torch.load(filename, map_location=map_location, weights_only=False)
    return torch.load(filename, map_location=map_location)  # pragma: no cover (torch<1.13)


def load_from_http_trusted(filename: str, map_location=None, model_dir=None,
                           progress=os.isatty(0)):
    """Download (once, into ``model_dir`` or torch's hub cache) and load a checkpoint URL with
    ``weights_only=False``; mmengine's ``load_from_http`` otherwise (local rank 0 downloads
    first, the other ranks wait at a barrier)."""
    load_url = mmengine_checkpoint.load_url
    kwargs = dict(model_dir=model_dir, map_location=map_location, progress=progress)
    if 'weights_only' in inspect.signature(load_url).parameters:
        kwargs['weights_only'] = False
    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = load_url(filename, **kwargs)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = load_url(filename, **kwargs)
    return checkpoint


for _loader in (load_from_local_trusted, load_from_http_trusted):
    setattr(_loader, _PATCHED_ATTR, True)

_TRUSTED_LOADERS = {'': load_from_local_trusted, 'http://': load_from_http_trusted,
                    'https://': load_from_http_trusted}


def patch_checkpoint_loader() -> None:
    """Make mmengine's local-file and http(s) checkpoint loaders work on torch >= 2.6."""
    for prefix, loader in _TRUSTED_LOADERS.items():
        current = CheckpointLoader._schemes.get(prefix)
        if current is None or not getattr(current, _PATCHED_ATTR, False):
            CheckpointLoader.register_scheme(prefixes=prefix, loader=loader, force=True)


patch_checkpoint_loader()


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None) -> np.ndarray:
    """``mmcv.adjust_hue`` (a BGR uint8 image; hue rotated by ``hue_factor`` of a turn, in
    [-0.5, 0.5]) with the shift cast as torchvision casts it, so negative factors work."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    shift = np.array(hue_factor * 255).astype(np.uint8)
    if (backend or mmcv.image.io.imread_backend) == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        h, s, v = Image.fromarray(img[..., ::-1], mode='RGB').convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over='ignore'):
            np_h += shift
        rgb = Image.merge('HSV', (Image.fromarray(np_h, 'L'), s, v)).convert('RGB')
        return np.array(rgb, dtype=img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    with np.errstate(over='ignore'):
        hsv[..., 0] += shift
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def patch_adjust_hue() -> None:
    """Use :func:`adjust_hue` wherever mmcv exports ``adjust_hue``."""
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = adjust_hue


patch_adjust_hue()
