"""Long-tailed datasets and samplers; importing this module registers them in MMPretrain's
``DATASETS`` / ``DATA_SAMPLERS`` registries."""
from . import transforms  # noqa: F401  (registers DeVriesCutout in TRANSFORMS)
from .cifar_lt import CIFAR10LT, CIFAR100LT
from .imbalance import check_lt_args, long_tailed_indices, lt_class_sizes, lt_counts_from_available
from .list_datasets import ImageNetLT, INaturalist2018, LTListDataset, PlacesLT, parse_list_file
from .long_tailed import LongTailedDataset, dataset_labels
from .meta_subset import ClassBalancedSubset, balanced_indices
from .samplers import (
                       ClassAwareSampler,
                       ClassPowerSampler,
                       ProgressiveSampler,
                       class_power_probs,
                       progressive_probs,
)
from .utils import GtLabelsArrayMixin, class_indices, get_class_counts, subset_positions

__all__ = [
    'CIFAR10LT', 'CIFAR100LT', 'LongTailedDataset', 'ClassBalancedSubset', 'LTListDataset',
    'ImageNetLT', 'INaturalist2018', 'PlacesLT', 'ClassAwareSampler', 'ClassPowerSampler',
    'ProgressiveSampler', 'class_power_probs', 'progressive_probs', 'GtLabelsArrayMixin',
    'check_lt_args', 'long_tailed_indices', 'lt_class_sizes', 'lt_counts_from_available',
    'balanced_indices', 'class_indices', 'parse_list_file', 'dataset_labels', 'get_class_counts',
    'subset_positions'
]
