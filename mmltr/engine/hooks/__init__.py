# Each module registers its classes into mmpretrain.registry.HOOKS.
from .long_tail_loss_hook import LongTailLossHook  # noqa: F401
