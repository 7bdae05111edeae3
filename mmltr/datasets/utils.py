"""Helpers shared by mmltr's datasets, metric and hooks."""
import numpy as np


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
