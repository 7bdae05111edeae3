"""Compatibility fixes that mmltr applies on import.

``torch.load`` defaults to ``weights_only=True`` since torch 2.6. mmengine 0.10.7 (the newest
release) loads its own checkpoints with a bare ``torch.load(filename, map_location=...)``, and
every checkpoint mmengine writes holds a ``MessageHub`` (``HistoryBuffer`` objects, numpy scalars)
and often an ``mmengine.Config``: with torch >= 2.6 ``--resume`` and ``load_from`` fail with an
``UnpicklingError``. The fix upstream (https://github.com/open-mmlab/mmengine/pull/1670) is not
released.

mmltr re-registers mmengine's loader for local paths (the ``''`` scheme, used by ``--resume``,
``load_from`` and ``auto_resume``) so that it calls ``torch.load(..., weights_only=False)``, which
is exactly what mmengine did on torch < 2.6. As with any pickle, only load checkpoints you trust.
The override is idempotent and is a no-op on an mmengine that already passes ``weights_only``.
"""
import inspect
import os.path as osp

import torch
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


setattr(load_from_local_trusted, _PATCHED_ATTR, True)


def patch_checkpoint_loader() -> None:
    """Make mmengine's local-file checkpoint loader work on torch >= 2.6."""
    current = CheckpointLoader._schemes.get('')
    if current is not None and getattr(current, _PATCHED_ATTR, False):
        return
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_trusted, force=True)


patch_checkpoint_loader()
