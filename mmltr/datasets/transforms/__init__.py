"""Data transforms registered into MMPretrain's TRANSFORMS."""
from .cutout import DeVriesCutout  # noqa: F401
