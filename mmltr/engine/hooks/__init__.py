# Each module registers its classes into mmpretrain.registry.HOOKS.
from .difficulty_net_hook import DifficultyNetHook  # noqa: F401
from .freeze_hook import FreezeHook  # noqa: F401
from .long_tail_loss_hook import LongTailLossHook  # noqa: F401
from .per_class_accuracy_hook import PerClassAccuracyHook  # noqa: F401
from .stage1_checkpoint_hook import Stage1CheckpointHook  # noqa: F401
from .train_diagnostics_hook import TrainDiagnosticsHook  # noqa: F401
