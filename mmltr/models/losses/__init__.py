# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .utils import CountAwareLoss, check_hard_labels, class_balanced_weights  # noqa: F401
