# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .bcl_head import BCLHead  # noqa: F401
from .cosine_head import CosineClsHead  # noqa: F401
from .decoupled_head import DecoupledClsHead, decoupled_logits, tau_normalize  # noqa: F401
