"""Data transforms registered into MMPretrain's TRANSFORMS."""
from . import gpu_augment  # noqa: F401  (batched device versions for the fast path)
from .cutout import DeVriesCutout  # noqa: F401
