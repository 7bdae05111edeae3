# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .cosine_head import CosineClsHead  # noqa: F401
