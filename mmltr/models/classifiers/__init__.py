# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .bcl_classifier import BCLClassifier  # noqa: F401
from .difficulty_net import DifficultyNet  # noqa: F401
from .difficulty_net_classifier import DifficultyNetClassifier  # noqa: F401
