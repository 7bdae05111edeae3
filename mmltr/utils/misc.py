"""Small helpers shared across mmltr's packages."""
from typing import Any, Optional

import numpy as np
from mmengine.model import is_model_wrapper


def unwrap_model(module: Optional[Any]) -> Optional[Any]:
    """``module.module`` for an MMEngine model wrapper (DDP, ...), else ``module`` itself."""
    return module.module if module is not None and is_model_wrapper(module) else module


def check_class_counts(counts: Any, what: str = 'class_counts') -> np.ndarray:
    """``counts`` (training images per class) as a flat int64 array, or a ``ValueError``.

    Accepts any sequence, array or tensor of non-negative whole numbers; ``what`` names the
    argument in the error message (e.g. ``'ShotAccuracy: class_counts'``).
    """
    try:
        arr = np.asarray(counts.tolist() if hasattr(counts, 'tolist') else counts,
                         dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{what} must be a flat list of per-class training image counts, got '
                         f'{counts!r}.') from None
    if arr.ndim != 1:
        raise ValueError(f'{what} must be a flat list of per-class training image counts, got '
                         f'shape {arr.shape}.')
    if arr.size and (not np.isfinite(arr).all() or (arr < 0).any()
                     or (arr != np.round(arr)).any()):
        raise ValueError(f'{what} must hold non-negative integers, got {arr.tolist()}.')
    return arr.astype(np.int64)
