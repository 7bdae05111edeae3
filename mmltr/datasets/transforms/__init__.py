"""Data transforms registered into MMPretrain's TRANSFORMS."""
from .cutout import DeVriesCutout  # noqa: F401
from .difficulty_net_augment import DifficultyNetAutoAugment, MeanCutout  # noqa: F401
