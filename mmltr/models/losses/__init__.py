# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .balanced_softmax_loss import BalancedSoftmaxLoss  # noqa: F401
from .class_balanced_loss import ClassBalancedLoss  # noqa: F401
from .dbm_loss import DBMLoss  # noqa: F401
from .ghm_cwap_loss import GHMCWAPLoss  # noqa: F401
from .ldam_loss import LDAMLoss  # noqa: F401
from .reweighting import CosineMarginLoss, ReweightedLoss, reduce_class_weighted  # noqa: F401
from .softmax_focal_loss import SoftmaxFocalLoss  # noqa: F401
from .utils import CountAwareLoss, check_hard_labels, class_balanced_weights  # noqa: F401
