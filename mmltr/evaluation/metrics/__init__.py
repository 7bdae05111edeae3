# Each module registers its classes into mmpretrain.registry.METRICS.
from .shot_accuracy import ShotAccuracy, shot_groups  # noqa: F401
