"""Helpers shared by mmltr's datasets, metric and hooks."""
from typing import Callable, List, Optional

import numpy as np
from mmpretrain.registry import DATASETS


def build_dataset(dataset, owner: str, what: str = 'dataset'):
    """``dataset`` built from its config dict, or returned as is when it already is a dataset.

    ``owner`` and ``what`` name the wrapper and its argument in the ``TypeError`` raised for
    anything else (a string such as a folder name included).
    """
    if isinstance(dataset, dict):
        return DATASETS.build(dataset)
    if not isinstance(dataset, (str, bytes)) and hasattr(dataset, '__getitem__') \
            and hasattr(dataset, '__len__'):
        return dataset
    raise TypeError(f'{owner}: {what} must be a dataset config dict or a dataset, got '
                    f'{type(dataset).__name__}.')


def class_indices(labels, num_classes: int) -> List[np.ndarray]:
    """The positions of each class's samples, for classes ``0 .. num_classes - 1``.

    Within a class the positions keep file order (``np.flatnonzero(labels == c)``), computed with
    one stable argsort. Labels outside ``[0, num_classes)`` are left out.
    """
    labels = np.asarray(labels)
    order = np.argsort(labels, kind='stable')
    bounds = np.searchsorted(labels[order], np.arange(num_classes + 1))
    return [order[bounds[c]:bounds[c + 1]] for c in range(num_classes)]


def get_class_counts(dataset) -> np.ndarray:
    """Training images per class of ``dataset`` (int64 array of length num_classes).

    Uses ``dataset.metainfo['class_counts']`` when present (mmltr's datasets set it on every split
    to the *training* counts); otherwise counts the dataset's own labels (``get_gt_labels``), with
    ``len(metainfo['classes'])`` classes when the dataset declares them.
    """
    meta = getattr(dataset, 'metainfo', None) or {}
    if meta.get('class_counts') is not None:
        return np.asarray(meta['class_counts'], dtype=np.int64)
    if not hasattr(dataset, 'get_gt_labels'):
        raise ValueError(f'{type(dataset).__name__} has neither metainfo["class_counts"] nor '
                         'get_gt_labels(): cannot derive the training class counts.')
    labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    num_classes = len(meta['classes']) if meta.get('classes') else None
    return np.bincount(labels, minlength=num_classes or 0).astype(np.int64)


def subset_positions(indices, length: int) -> np.ndarray:
    """Positions ``BaseDataset.get_subset(indices)`` keeps, with MMEngine's semantics.

    An int keeps the first ``indices`` samples (the last ``-indices`` if negative); a sequence keeps
    the given indices (negative ones count from the end).
    """
    if isinstance(indices, (int, np.integer)) and not isinstance(indices, bool):
        positions = np.arange(length)
        return positions[:int(indices)] if indices >= 0 else positions[int(indices):]
    positions = np.asarray(list(indices), dtype=np.int64).reshape(-1)
    if positions.size and (positions.max() >= length or positions.min() < -length):
        raise IndexError(f'subset indices out of range for a dataset of length {length}.')
    return np.where(positions < 0, positions + length, positions)


class GtLabelsArrayMixin:
    """Keep every sample's label in an int64 array next to MMEngine's (serialized) data list.

    ``get_gt_labels``/``get_cat_ids``/class counting then never deserialize a sample, even with
    ``serialize_data=True``. A dataset using it calls ``self._set_gt_labels(labels)`` inside
    ``load_data_list`` (same order as the returned data list). ``indices=``, ``get_subset`` and
    ``get_subset_`` keep the array in sync. Put the mixin *before* the MMEngine dataset class.
    """

    _gt_labels = None

    def _set_gt_labels(self, labels) -> None:
        self._gt_labels = np.asarray(labels, dtype=np.int64).reshape(-1)

    def _labels_ok(self) -> bool:
        return self._gt_labels is not None and len(self._gt_labels) == len(self)

    def full_init(self):
        if self._fully_initialized:
            return
        indices, self._indices = self._indices, None
        try:
            super().full_init()  # load_data_list (sets the labels) → filter → serialize
        finally:
            self._indices = indices
        if self._gt_labels is not None and len(self._gt_labels) != len(self):
            self._gt_labels = None  # a filter_data override changed the list: use the slow path
        if indices is not None:
            self.get_subset_(indices)

    def get_subset_(self, indices) -> None:
        positions = subset_positions(indices, len(self)) if self._labels_ok() else None
        super().get_subset_(indices)
        self._gt_labels = None if positions is None else self._gt_labels[positions]

    def get_subset(self, indices):
        sub = super().get_subset(indices)
        sub._gt_labels = (self._gt_labels[subset_positions(indices, len(self))]
                          if self._labels_ok() else None)
        return sub

    def get_gt_labels(self) -> np.ndarray:
        if not self._fully_initialized:
            self.full_init()
        if self._labels_ok():
            return self._gt_labels.copy()
        return super().get_gt_labels()

    def get_cat_ids(self, idx: int):
        if not self._fully_initialized:
            self.full_init()
        if self._labels_ok():
            return [int(self._gt_labels[idx])]
        return super().get_cat_ids(idx)


def load_naming_file(load: Callable, idx: int, path_of: Callable[[int], Optional[str]]):
    """``load(idx)``; an error while loading or transforming sample ``idx`` names its file.

    A decoder's own error (e.g. ``cv2.error`` on an empty JPEG) does not say which image failed:
    it is raised again, same type where possible, with ``path_of(idx)`` in the message.
    """
    try:
        return load(idx)
    except Exception as e:
        try:
            path = path_of(idx)
        except Exception:
            path = None
        if not path or str(path) in str(e):
            raise
        msg = (f'{path} (sample {idx}): {type(e).__name__}: {str(e).strip()} - the image is '
               'empty, corrupt or unreadable: fix or remove the file.')
        try:
            error = type(e)(msg)
        except Exception:
            error = RuntimeError(msg)
        raise error from e
