"""``LongTailedDataset``: the CIFAR-LT protocol as a wrapper for any labelled MMPretrain dataset."""
import copy
import logging
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose, force_full_init
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS

from ..utils import check_class_counts
from .imbalance import LongTailProtocolMixin
from .utils import build_dataset, load_naming_file, subset_positions


def dataset_labels(dataset) -> np.ndarray:
    """Every sample's label (int64), without running the pipeline (no image is decoded).

    Uses ``get_gt_labels()`` (MMPretrain datasets; mmltr's list datasets answer it from an array)
    and falls back to ``get_cat_ids(i)``.
    """
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    if hasattr(dataset, 'get_gt_labels'):
        labels = np.asarray(dataset.get_gt_labels())
    elif hasattr(dataset, 'get_cat_ids'):
        cat_ids = [dataset.get_cat_ids(i) for i in range(len(dataset))]
        if any(len(c) != 1 for c in cat_ids):
            raise ValueError('LongTailedDataset needs exactly one label per sample; '
                             f'{type(dataset).__name__}.get_cat_ids returned multi-label samples.')
        labels = np.asarray([c[0] for c in cat_ids])
    else:
        raise TypeError(f'LongTailedDataset: {type(dataset).__name__} has neither get_gt_labels() '
                        'nor get_cat_ids(): cannot read its labels.')
    if labels.ndim != 1 or len(labels) != len(dataset):
        raise ValueError(f'LongTailedDataset: {type(dataset).__name__} must have one integer label '
                         f'per sample; got labels of shape {labels.shape} for {len(dataset)} '
                         'samples (multi-label / one-hot datasets are not supported).')
    return labels.astype(np.int64)


def _num_classes(metainfo: dict, labels: np.ndarray) -> int:
    classes = metainfo.get('classes') if metainfo else None
    if classes:
        return len(classes)
    return int(labels.max()) + 1 if labels.size else 0


class SelectionWrapper:
    """A dataset made of the samples ``indices`` of the wrapped ``dataset``, in that order.

    Shared by :class:`LongTailedDataset` and :class:`~mmltr.datasets.ClassBalancedSubset`: their
    ``__init__`` ends with :meth:`_wrap`, and their :meth:`_select` chooses the samples from the
    wrapped dataset's labels when :meth:`full_init` runs (at construction unless ``lazy_init``,
    else at the latest on first access, as MMEngine's wrappers). This class gives the dataset API
    on top of the selection, including what MMPretrain's tools (``analyze_results.py``,
    ``vis_tsne.py``, ``browse_dataset.py``, ``confusion_matrix.py``) call: ``metainfo``,
    ``CLASSES``, ``get_data_info``, ``get_gt_labels``, ``get_cat_ids``, ``get_subset(_)`` (a
    subset of the selection, MMEngine's index semantics) and ``pipeline`` (the wrapped dataset's,
    readable and replaceable; a ``pipeline`` argument replaces it at construction).
    """

    def _wrap(self, dataset, lazy_init: bool, pipeline=None) -> None:
        """Build (or take) the wrapped ``dataset`` and copy its metainfo; select now unless
        ``lazy_init``. A ``pipeline`` (list of transform configs) replaces the wrapped one's."""
        if pipeline is not None and isinstance(dataset, dict):
            dataset = {**dataset, 'pipeline': pipeline}
        self.dataset = build_dataset(dataset, type(self).__name__)
        if pipeline is not None and not isinstance(dataset, dict):
            self.pipeline = Compose(pipeline)
        self._metainfo = copy.deepcopy(dict(getattr(self.dataset, 'metainfo', None) or {}))
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        labels, num_classes = self._read_labels()
        self.indices = self._select(labels, num_classes)
        self._labels = labels[self.indices]
        self._fully_initialized = True

    def _select(self, labels: np.ndarray, num_classes: int) -> np.ndarray:
        """Positions (into the wrapped dataset) of the selected samples, in order; may add to
        ``_metainfo``."""
        raise NotImplementedError

    def _read_labels(self) -> Tuple[np.ndarray, int]:
        """The wrapped dataset's labels (no image decoded) and number of classes.

        Also refreshes ``_metainfo`` from the wrapped dataset's.
        """
        labels = dataset_labels(self.dataset)
        # the wrapped dataset's metainfo may only be complete after its full_init
        self._metainfo.update(copy.deepcopy(dict(getattr(self.dataset, 'metainfo', {}) or {})))
        return labels, _num_classes(self._metainfo, labels)

    @property
    def metainfo(self) -> dict:
        if not self._fully_initialized:
            self.full_init()
        return copy.deepcopy(self._metainfo)

    @property
    def CLASSES(self):
        return self.metainfo.get('classes')

    @property
    def pipeline(self):
        return self.dataset.pipeline

    @pipeline.setter
    def pipeline(self, pipeline) -> None:
        self.dataset.pipeline = pipeline

    @force_full_init
    def get_subset_(self, indices) -> None:
        """Keep the samples ``indices`` of this dataset (an int: the first/last ones), in place."""
        positions = subset_positions(indices, len(self))
        self.indices = self.indices[positions]
        self._labels = self._labels[positions]

    @force_full_init
    def get_subset(self, indices):
        """A copy holding the samples ``indices`` (it shares the wrapped dataset)."""
        sub = copy.copy(self)
        sub._metainfo = copy.deepcopy(self._metainfo)
        sub.get_subset_(indices)
        return sub

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        return int(self.indices[idx])

    @force_full_init
    def get_gt_labels(self) -> np.ndarray:
        return self._labels.copy()

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        return [int(self._labels[idx])]

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(self._get_ori_dataset_idx(idx))

    def __getitem__(self, idx: int):
        if not self._fully_initialized:
            print_log('Please call `full_init` method manually to accelerate the speed.',
                      logger='current', level=logging.WARNING)
            self.full_init()
        return load_naming_file(self.dataset.__getitem__, self._get_ori_dataset_idx(idx),
                                lambda i: self.dataset.get_data_info(i).get('img_path'))

    @force_full_init
    def __len__(self) -> int:
        return len(self.indices)


@DATASETS.register_module()
class LongTailedDataset(LongTailProtocolMixin, SelectionWrapper):
    """Apply the LDAM-DRW long-tailed protocol to any labelled MMPretrain dataset.

    Two uses:

    * **training subset** (``subsample=True``, the default): the wrapped ``dataset`` is the full,
      usually balanced, train split. Per class (label order) ``n_c = int(n_max * IF^(-c/(C-1)))``
      images are kept (``imb_type='step'``: first half ``n_max``, second half ``n_max/IF``),
      chosen by ``np.random.RandomState(seed)`` shuffling that class's indices in the wrapped
      dataset's order, exactly as ``CIFAR10LT``. ``n_max`` is the largest class (after the meta
      hold-out). With the same per-class file order it therefore selects the same images as
      ``CIFAR10LT``, in the same order — e.g. a ``CustomDataset`` over ``cifar10-jpeg``'s
      ``train/<class>/NNNN.jpg`` (sorted names = official order) gives the JPEG twins of the
      official CIFAR-10-LT subset. ``meta_per_class``/``subset='meta'`` give Difficulty-Net's
      balanced hold-out (the last ``meta_per_class`` images of every class, removed before the
      long tail is drawn); ``selection='first'`` its unshuffled choice.
    * **evaluation split** (``subsample=False``): ``dataset`` (val/test) is used in full and only
      gets ``metainfo['class_counts']``, the long-tailed *training* counts. They are, in order of
      precedence: ``class_counts=[...]`` as given; or the counts the protocol (same
      ``imbalance_factor``, ``imb_type``, ``meta_per_class``) gives on ``train_dataset``, the raw
      training set (what the training wrapper wraps; only its labels are read, no image is
      decoded); or, when ``train_dataset`` is omitted and ``dataset`` is a config with a
      ``split`` key (``FashionMNIST``, ``CIFAR10``, ...), on that config with ``split='train'``,
      ``test_mode=False`` and no pipeline. ``subsample`` defaults to False when
      ``train_dataset`` or ``class_counts`` is given.

    ``metainfo`` is the wrapped dataset's plus ``class_counts`` (tuple of ints, the long-tailed
    *training* counts in every mode, also for ``subset='meta'``). Labels are read with
    ``get_gt_labels()``/``get_cat_ids()``, without running the pipeline. Like MMEngine's wrappers
    the selection is computed in ``full_init`` (at construction unless ``lazy_init=True``;
    ``metainfo``/``len`` trigger it).

    Args:
        dataset (dict | Dataset): the dataset to subsample (or to evaluate on).
        subsample (bool, optional): True: training subset; False: evaluation split. Default: True
            unless ``train_dataset``/``class_counts`` is given.
        train_dataset (dict | Dataset, optional): raw training set the evaluation counts come from.
        class_counts (Sequence[int], optional): explicit training counts (evaluation split).
        lazy_init (bool): defer ``full_init``. Default False.
        pipeline (list, optional): transforms replacing the wrapped dataset's pipeline.
        **protocol: the protocol's keyword arguments ``imbalance_factor`` (default 100),
            ``imb_type``, ``seed``, ``meta_per_class``, ``subset`` and ``selection``, see
            :class:`~mmltr.datasets.imbalance.LongTailProtocolMixin`.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 *,
                 subsample: Optional[bool] = None,
                 train_dataset: Union[dict, BaseDataset, None] = None,
                 class_counts: Optional[Sequence[int]] = None,
                 lazy_init: bool = False,
                 pipeline: Optional[list] = None,
                 **protocol):
        super().__init__(**protocol)
        if train_dataset is not None and class_counts is not None:
            raise ValueError('LongTailedDataset: give either train_dataset (counts computed with '
                             'the protocol) or class_counts (explicit), not both.')
        if subsample is None:
            subsample = train_dataset is None and class_counts is None
        if subsample and (train_dataset is not None or class_counts is not None):
            raise ValueError('LongTailedDataset: train_dataset/class_counts describe the counts of '
                             'an evaluation split, which is never subsampled: use '
                             'subsample=False (or leave it unset).')
        if not subsample and self.subset != 'lt':
            raise ValueError("LongTailedDataset: subset='meta' selects from a training set; it "
                             'cannot be combined with subsample=False (evaluation splits are '
                             'used in full).')
        if not subsample and train_dataset is None and class_counts is None:
            train_dataset = self._derive_train_cfg(dataset)
        self.subsample = bool(subsample)
        self._train_dataset_cfg = train_dataset
        self._explicit_counts = None if class_counts is None else check_class_counts(
            class_counts, 'LongTailedDataset: class_counts').tolist()
        self.mode = 'train' if subsample else 'eval' if train_dataset is not None else 'counts'
        self._wrap(dataset, lazy_init, pipeline)

    # ------------------------------------------------------------------ selection
    def _select(self, labels: np.ndarray, num_classes: int) -> np.ndarray:
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f'LongTailedDataset: labels of {type(self.dataset).__name__} lie in '
                             f'[{labels.min()}, {labels.max()}] but it declares {num_classes} '
                             'classes.')
        if self.mode == 'train':
            indices, counts = self._protocol_indices(labels, num_classes, owner='LongTailedDataset')
        else:
            indices = np.arange(len(labels), dtype=np.int64)
            counts = self._explicit_counts if self.mode == 'counts' else self._eval_counts()
            if len(counts) != num_classes:
                raise ValueError(f'LongTailedDataset: {len(counts)} training class counts for a '
                                 f'dataset with {num_classes} classes.')
        self._metainfo['class_counts'] = tuple(int(c) for c in counts)
        return indices

    @staticmethod
    def _derive_train_cfg(dataset) -> dict:
        if isinstance(dataset, dict) and 'split' in dataset:
            train_cfg = copy.deepcopy(dataset)
            train_cfg.update(split='train', pipeline=[])
            train_cfg.pop('indices', None)  # a subset of the evaluation split, not of the train
            if 'test_mode' in train_cfg:
                train_cfg['test_mode'] = False
            return train_cfg
        raise ValueError(
            'LongTailedDataset(subsample=False) needs the training class counts: pass '
            'train_dataset=<the raw training set config> (e.g. the CustomDataset over train/), '
            'or class_counts=[...]. They can only be derived automatically from a `dataset` '
            "config with a `split` key (by switching it to split='train').")

    def _eval_counts(self) -> List[int]:
        train = build_dataset(self._train_dataset_cfg, 'LongTailedDataset', 'train_dataset')
        train_meta = dict(getattr(train, 'metainfo', {}) or {})
        if train_meta.get('class_counts') is not None or isinstance(train, LongTailedDataset):
            raise ValueError(
                'LongTailedDataset: train_dataset must be the raw training set (the dataset the '
                'training LongTailedDataset wraps); it already carries long-tailed class_counts. '
                'Pass that raw dataset, or give class_counts=[...] explicitly.')
        train_labels = dataset_labels(train)
        train_meta = dict(getattr(train, 'metainfo', {}) or {})
        num_classes = _num_classes(train_meta, train_labels)
        available = np.bincount(train_labels, minlength=num_classes)
        return self._protocol_counts(available)

    # ------------------------------------------------------------------ API
    def __repr__(self) -> str:
        init = self._fully_initialized
        head = f'Dataset {type(self).__name__} ({self.mode})'
        body = [f'    Wrapped: {type(self.dataset).__name__}',
                f'    Protocol: {self._protocol_repr()}',
                f'    Number of samples: {len(self) if init else "not yet loaded"}']
        return '\n'.join([head] + body)
