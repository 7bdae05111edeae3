"""Compatibility fixes that mmltr applies on import.

``torch.load`` defaults to ``weights_only=True`` since torch 2.6. mmengine 0.10.7 (the newest
release) loads its own checkpoints with a bare ``torch.load(filename, map_location=...)``, and
every checkpoint mmengine writes holds a ``MessageHub`` (``HistoryBuffer`` objects, numpy scalars)
and often an ``mmengine.Config``: with torch >= 2.6 ``--resume`` and ``load_from`` fail with an
``UnpicklingError``. The fix upstream (https://github.com/open-mmlab/mmengine/pull/1670) is not
released.

mmltr re-registers mmengine's loader for local paths (the ``''`` scheme, used by ``--resume``,
``load_from`` and ``auto_resume``) so that it calls ``torch.load(..., weights_only=False)``, which
is exactly what mmengine did on torch < 2.6, and its loader for ``http://`` / ``https://`` URLs
(``load_from='https://...'``) so that the downloaded file is loaded the same way (mmengine leaves
``weights_only`` to the download helper's default). As with any pickle, only load checkpoints you
trust. The overrides are idempotent.

``mmcv.adjust_hue`` (mmcv 2.2, used by MMPretrain's ``ColorJitter``) shifts the hue channel by
``np.uint8(hue_factor * 255)``: under NumPy >= 2 a negative factor raises ``OverflowError``
(NumPy 1 wrapped it around, which is what the code intends: "uint8 addition takes care of rotation
across boundaries"), so every ``ColorJitter(hue=h)`` failed on about half of its draws. mmltr
replaces it with a version that shifts by ``trunc(hue_factor * 255) mod 256`` (NumPy 1's result,
and the fast path's) and is otherwise mmcv's.

``Config.pretty_text`` formats the whole config with yapf, and a Runner asks for it several times
per run (the log, the dumped config, every checkpoint's meta): seconds each for configs with long
augmentation policies, often more than a short run trains. mmltr memoises the formatting step
(``FormatCode`` on the same text and style gives the same result), so each distinct config text
is formatted once per process; the text is unchanged.
"""
import functools
import inspect
import os
import os.path as osp

import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric as mmcv_photometric
import numpy as np
import torch
from mmengine.config import config as mmengine_config
from mmengine.dist import get_dist_info
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

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


_mmcv_adjust_hue = getattr(mmcv_photometric.adjust_hue, '__wrapped__',
                           mmcv_photometric.adjust_hue)


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None) -> np.ndarray:
    """``mmcv.adjust_hue``, with a negative ``hue_factor`` shifting the hue channel by
    ``trunc(hue_factor * 255) mod 256`` (as under NumPy 1) instead of raising under NumPy 2."""
    backend = backend or mmcv_photometric.imread_backend
    if (not -0.5 <= hue_factor < 0 or backend not in ('cv2', 'pillow')
            or not isinstance(img, np.ndarray) or img.ndim != 3
            or (backend == 'pillow' and img.dtype != np.uint8)):
        return _mmcv_adjust_hue(img, hue_factor, backend)  # mmcv's own result, or its error
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        from PIL import Image
        h, s, v = Image.fromarray(np.ascontiguousarray(img[..., ::-1])).convert('HSV').split()
        h = Image.fromarray(np.asarray(h, dtype=np.uint8) + shift, 'L')
        return np.array(Image.merge('HSV', (h, s, v)).convert('RGB'), dtype=img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] += shift
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


adjust_hue.__wrapped__ = _mmcv_adjust_hue


def patch_adjust_hue() -> None:
    """Replace ``mmcv.adjust_hue`` (wherever mmcv exports it) by :func:`adjust_hue`."""
    for module in (mmcv, mmcv.image, mmcv_photometric):
        module.adjust_hue = adjust_hue


patch_adjust_hue()


_yapf_format_code = getattr(mmengine_config.FormatCode, '__wrapped__', mmengine_config.FormatCode)


@functools.lru_cache(maxsize=16)
def _format_code_cached(text: str, style: tuple):
    return _yapf_format_code(text, style_config=dict(style))


def format_code(text, style_config=None, **kwargs):
    """yapf's ``FormatCode``, memoised for a dict ``style_config`` and no other arguments (what
    ``Config.pretty_text`` passes); its result is an immutable ``(text, changed)`` pair."""
    if kwargs or not isinstance(style_config, dict):
        return _yapf_format_code(text, style_config=style_config, **kwargs)
    return _format_code_cached(text, tuple(sorted(style_config.items())))


format_code.__wrapped__ = _yapf_format_code
mmengine_config.FormatCode = format_code
