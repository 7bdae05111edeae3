# Each module registers its classes into mmpretrain.registry.OPTIM_WRAPPER_CONSTRUCTORS.
from .difficulty_net_optim_constructor import DifficultyNetOptimWrapperConstructor  # noqa: F401
