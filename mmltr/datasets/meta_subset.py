"""``ClassBalancedSubset``: a fixed number of images per class from a labelled dataset.

Difficulty-Net's meta/accuracy set on ImageNet-LT and Places-LT is **10 images per class drawn at
random from the val list** (20 per class) (Sinha & Ohashi, Difficulty-Net: Learning to Predict
Difficulty for Long-Tailed Recognition, WACV 2023, https://arxiv.org/abs/2209.02960). This
wrapper builds such a set from any labelled MMPretrain dataset (mmltr's list datasets, a
``CustomDataset`` folder tree, ...). On CIFAR-LT use ``CIFAR10LT``/``CIFAR100LT``/
``LongTailedDataset`` with ``meta_per_class=25, subset='meta'`` instead: that hold-out is removed
from the training data before the long tail is drawn.
"""
from typing import Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from .long_tailed import SelectionWrapper
from .utils import class_indices

BALANCED_SELECTIONS = ('random', 'first', 'last')


def balanced_indices(labels: np.ndarray, num_classes: int, per_class: int,
                     selection: str = 'random', seed: int = 0,
                     owner: str = 'ClassBalancedSubset') -> np.ndarray:
    """``per_class`` positions of every class (class by class, file order within a class).

    ``selection='random'``: a ``np.random.RandomState(seed)`` choice without replacement per class
    (classes in label order); ``'first'``/``'last'``: the first/last ``per_class`` in file order.
    A class with fewer than ``per_class`` images raises a ``ValueError``.
    """
    if selection not in BALANCED_SELECTIONS:
        raise ValueError(f'{owner}: selection must be one of {BALANCED_SELECTIONS}, got '
                         f'{selection!r}.')
    if isinstance(per_class, bool) or int(per_class) != per_class or per_class < 1:
        raise ValueError(f'{owner}: per_class must be an int >= 1, got {per_class!r}.')
    per_class = int(per_class)
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.RandomState(seed)
    out, short = [], []
    for c, idx in enumerate(class_indices(labels, num_classes)):
        if len(idx) < per_class:
            short.append((c, len(idx)))
            continue
        if selection == 'random':
            idx = np.sort(rng.choice(idx, per_class, replace=False))
        elif selection == 'first':
            idx = idx[:per_class]
        else:
            idx = idx[len(idx) - per_class:]
        out.append(idx)
    if short:
        raise ValueError(f'{owner}: per_class={per_class} but class(es) {short[:10]} '
                         '(class, images) have fewer images.')
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)


@DATASETS.register_module()
class ClassBalancedSubset(SelectionWrapper):
    """``per_class`` images of every class of ``dataset`` (e.g. 10/class of ImageNet_LT_val).

    ``metainfo`` is the wrapped dataset's (with its ``class_counts``, the long-tailed *training*
    counts on mmltr's datasets). Labels are read without decoding images.

    Args:
        dataset (dict | Dataset): the labelled dataset to draw from.
        per_class (int): images per class. Default 10.
        selection (str): ``'random'`` (default, seeded), ``'first'`` or ``'last'`` in file order.
        seed (int): seed of the random choice. Default 0.
        complement (bool): take every *other* image instead (file order), e.g. to split a
            balanced set into a validation part (``per_class`` images per class) and a disjoint
            test part with the same arguments and ``complement=True``. Default False.
        lazy_init (bool): defer ``full_init``. Default False.
        pipeline (list, optional): transforms replacing the wrapped dataset's pipeline.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], per_class: int = 10,
                 selection: str = 'random', seed: int = 0, complement: bool = False,
                 lazy_init: bool = False, pipeline: Optional[list] = None) -> None:
        if selection not in BALANCED_SELECTIONS:
            raise ValueError(f'ClassBalancedSubset: selection must be one of '
                             f'{BALANCED_SELECTIONS}, got {selection!r}.')
        self.per_class = per_class
        self.selection = selection
        self.seed = int(seed)
        self.complement = bool(complement)
        self._wrap(dataset, lazy_init, pipeline)

    def _select(self, labels: np.ndarray, num_classes: int) -> np.ndarray:
        chosen = balanced_indices(labels, num_classes, self.per_class, self.selection, self.seed)
        if self.complement:
            return np.setdiff1d(np.arange(len(labels), dtype=np.int64), chosen)
        return chosen

    def __repr__(self) -> str:
        n = len(self) if self._fully_initialized else 'not yet loaded'
        return (f'Dataset ClassBalancedSubset\n    Wrapped: {type(self.dataset).__name__}\n'
                f'    per_class={self.per_class}, selection={self.selection}, seed={self.seed}, '
                f'complement={self.complement}\n'
                f'    Number of samples: {n}')
