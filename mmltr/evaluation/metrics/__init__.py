# Each module registers its classes into mmpretrain.registry.METRICS.
from .shot_accuracy import ShotAccuracy  # noqa: F401
