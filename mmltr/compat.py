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
"""
import inspect
import os
import os.path as osp

import torch
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
