# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .data_preprocessor import MultiViewClsDataPreprocessor  # noqa: F401
from .dist import all_gather_with_grad  # noqa: F401
