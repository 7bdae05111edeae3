"""Small helpers shared across mmltr's packages."""
from typing import Any, Optional

import numpy as np
from mmengine.model import is_model_wrapper


def unwrap_model(module: Optional[Any]) -> Optional[Any]:
    """``module.module`` for an MMEngine model wrapper (DDP, ...), else ``module`` itself."""
    return module.module if module is not None and is_model_wrapper(module) else module


def check_class_counts(counts: Any, what: str = 'class_counts',
                       allow_empty: bool = True) -> np.ndarray:
    """``counts`` (training images per class) as a flat int64 array, or a ``ValueError``.

    Accepts any sequence, array or tensor of non-negative whole numbers (an empty one only with
    ``allow_empty``); ``what`` names the argument in the error message (e.g.
    ``'ShotAccuracy: class_counts'``).
    """
    try:
        arr = np.asarray(counts.tolist() if hasattr(counts, 'tolist') else counts,
                         dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{what} must be a flat list of per-class training image counts, got '
                         f'{counts!r}.') from None
    if arr.ndim != 1 or (arr.size == 0 and not allow_empty):
        raise ValueError(f'{what} must be a {"" if allow_empty else "non-empty "}flat list of '
                         f'per-class training image counts, got shape {arr.shape}.')
    if arr.size and (not np.isfinite(arr).all() or (arr < 0).any()
                     or (arr != np.round(arr)).any()):
        raise ValueError(f'{what} must hold non-negative integers, got {arr.tolist()}.')
    return arr.astype(np.int64)
