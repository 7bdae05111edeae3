# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .balanced_contrastive_loss import BalancedSupConLoss, balanced_contrastive_loss
from .balanced_softmax_loss import BalancedSoftmaxLoss, balanced_softmax_loss
from .class_balanced_loss import (
                                  ClassBalancedLoss,
                                  SoftmaxFocalLoss,
                                  class_balanced_loss,
                                  softmax_focal_loss,
)
from .count_aware_loss import CountAwareLoss
from .dbm_loss import DBMLoss, dbm_logits, dbm_loss
from .ghm_cwap_loss import GHMCWAPLoss
from .label_aware_smoothing_loss import (
                                  LabelAwareSmoothingLoss,
                                  label_aware_epsilons,
                                  label_aware_smoothing_loss,
)
from .ldam_loss import LDAMLoss, ldam_logits, ldam_loss
from .utils import (
                                  check_hard_labels,
                                  class_balanced_weights,
                                  drw_active,
                                  log_class_prior,
                                  rarity_margins,
                                  reduce_class_weighted,
)

__all__ = [
    'BalancedSoftmaxLoss', 'BalancedSupConLoss', 'ClassBalancedLoss', 'CountAwareLoss', 'DBMLoss',
    'GHMCWAPLoss', 'LabelAwareSmoothingLoss', 'LDAMLoss', 'SoftmaxFocalLoss',
    'balanced_contrastive_loss', 'balanced_softmax_loss', 'check_hard_labels',
    'class_balanced_loss', 'class_balanced_weights', 'dbm_logits', 'dbm_loss', 'drw_active',
    'label_aware_epsilons', 'label_aware_smoothing_loss', 'ldam_logits', 'ldam_loss',
    'log_class_prior', 'rarity_margins', 'reduce_class_weighted', 'softmax_focal_loss'
]
