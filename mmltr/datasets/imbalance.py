"""The long-tailed subsampling protocol of ``CIFAR10LT``/``CIFAR100LT`` and ``LongTailedDataset``.

Reference: LDAM-DRW's ``imbalance_cifar.py`` (Cao et al., Learning Imbalanced Datasets with
Label-Distribution-Aware Margin Loss, NeurIPS 2019, https://arxiv.org/abs/1906.07413), the
generator behind every published CIFAR-10/100-LT number:

* per-class sizes ``n_c = int(n_max * (1/IF) ** (c / (C - 1)))`` for ``imb_type='exp'``; for
  ``'step'`` the first ``C // 2`` classes keep ``n_max`` and the others get ``int(n_max / IF)``;
* ``np.random.seed(seed)`` once, then for every class in label order: take that class's indices in
  file order, shuffle them with ``np.random.shuffle`` and keep the first ``n_c``;
* the subset is stored class by class, each class in its shuffled order (LDAM's order).

A local ``np.random.RandomState(seed)`` used sequentially draws exactly what the global
``np.random.seed`` + ``np.random.shuffle`` draws (tested), so the global RNG is left alone.

Difficulty-Net (Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed
Recognition, WACV 2023, https://arxiv.org/abs/2209.02960) first holds out the **last**
``meta_per_class`` images of every class (file order) as a balanced meta/accuracy set, then builds
the long tail from what is left with ``n_max`` reduced accordingly (475 for CIFAR with 25 held
out).
"""
import math
import numbers
import warnings
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .utils import class_indices

IMB_TYPES = ('exp', 'step')
SUBSETS = ('lt', 'meta')
PROTOCOL_SELECTIONS = ('random', 'first')


def check_lt_args(imbalance_factor, imb_type: str = 'exp', seed: int = 0, meta_per_class: int = 0,
                  subset: str = 'lt', selection: str = 'random', owner: str = 'long-tailed dataset'
                  ) -> float:
    """Validate the protocol arguments; return ``imbalance_factor`` as a float."""
    if isinstance(imbalance_factor, bool) or not isinstance(imbalance_factor, numbers.Real):
        raise ValueError(f'{owner}: imbalance_factor must be a number >= 1 (n_max / n_min, e.g. '
                         f'100), got {imbalance_factor!r} of type '
                         f'{type(imbalance_factor).__name__}.')
    imbalance_factor = float(imbalance_factor)
    if not math.isfinite(imbalance_factor) or imbalance_factor < 1:
        hint = ''
        if 0 < imbalance_factor < 1:
            hint = (f' (LDAM-style `--imb_factor {imbalance_factor:g}` corresponds to '
                    f'imbalance_factor={1 / imbalance_factor:g})')
        raise ValueError(f'{owner}: imbalance_factor must be a finite number >= 1 (n_max / n_min; '
                         f'1 = balanced), got {imbalance_factor!r}{hint}.')
    if imb_type not in IMB_TYPES:
        raise ValueError(f'{owner}: unknown imb_type {imb_type!r}; choose one of {IMB_TYPES} '
                         "('exp': n_c = int(n_max * IF^(-c/(C-1))); 'step': first half n_max, "
                         'second half n_max / IF).')
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f'{owner}: seed must be an int, got {seed!r}.')
    if isinstance(meta_per_class, bool) or not isinstance(meta_per_class, numbers.Integral) \
            or meta_per_class < 0:
        raise ValueError(f'{owner}: meta_per_class must be an int >= 0, got {meta_per_class!r}.')
    if subset not in SUBSETS:
        raise ValueError(f"{owner}: subset must be one of {SUBSETS}, got {subset!r}.")
    if subset == 'meta' and meta_per_class <= 0:
        raise ValueError(f"{owner}: subset='meta' needs meta_per_class > 0 (the number of images "
                         'per class held out as the balanced meta set).')
    if selection not in PROTOCOL_SELECTIONS:
        raise ValueError(f'{owner}: selection must be one of {PROTOCOL_SELECTIONS}, got '
                         f'{selection!r} '
                         "('random': LDAM's seeded per-class shuffle; 'first': the first n_c "
                         "images of each class in file order, as Difficulty-Net's released code).")
    return imbalance_factor


def lt_class_sizes(n_max: int, num_classes: int, imbalance_factor: float,
                   imb_type: str = 'exp') -> List[int]:
    """Target images per class, exactly as LDAM-DRW's ``get_img_num_per_cls``.

    LDAM passes ``imb_factor = 1/IF`` (0.01 for IF 100); ``1.0 / IF`` is correctly rounded, so it
    is the same double as the literal and the ``int()`` truncations match bit for bit.
    """
    ratio = 1.0 / float(imbalance_factor)
    if imb_type == 'exp':
        if num_classes == 1:
            return [int(n_max)]
        return [int(n_max * ratio**(c / (num_classes - 1.0))) for c in range(num_classes)]
    if imb_type == 'step':
        # LDAM: C//2 classes with n_max then C//2 with n_max/IF (an odd last class gets n_max/IF).
        half = num_classes // 2
        return [int(n_max)] * half + [int(n_max * ratio)] * (num_classes - half)
    raise ValueError(f'unknown imb_type {imb_type!r}; choose one of {IMB_TYPES}.')


def warn_empty_classes(counts: Sequence[int], imbalance_factor: float, owner: str) -> None:
    """Warn, naming them, when the long tail leaves classes without a training image."""
    empty = [c for c, n in enumerate(counts) if n == 0]
    if empty:
        shown = ', '.join(map(str, empty[:20])) + (', ...' if len(empty) > 20 else '')
        warnings.warn(
            f'{owner}: imbalance_factor={imbalance_factor:g} leaves {len(empty)} class(es) with 0 '
            f'training images (classes {shown}; the largest class has {max(counts, default=0)}): '
            'they are never trained and their margins/priors fall back to the rarest non-empty '
            'class. Lower imbalance_factor to keep at least one image per class.')


def _split_meta(per_class: List[np.ndarray], meta_per_class: int,
                owner: str) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    if meta_per_class <= 0:
        return per_class, [idx[:0] for idx in per_class]
    short = [(c, len(idx)) for c, idx in enumerate(per_class) if len(idx) <= meta_per_class]
    if short:
        raise ValueError(f'{owner}: meta_per_class={meta_per_class} leaves no training image for '
                         f'class(es) {short[:10]} (class, images); lower meta_per_class.')
    rest = [idx[:len(idx) - meta_per_class] for idx in per_class]
    meta = [idx[len(idx) - meta_per_class:] for idx in per_class]
    return rest, meta


def lt_counts_from_available(available: Sequence[int], imbalance_factor: float,
                             imb_type: str = 'exp', meta_per_class: int = 0,
                             owner: str = 'long-tailed dataset') -> List[int]:
    """Per-class sizes of the LT subset, from the per-class image counts of the full train split.

    Needs only the counts (no labels order, no images): this is how evaluation splits get the
    training class counts. ``n_max`` is the largest class after the meta hold-out; a class with
    fewer images than its target keeps all of them.
    """
    avail = [int(a) - meta_per_class if meta_per_class > 0 else int(a) for a in available]
    if meta_per_class > 0 and min(avail) <= 0:
        raise ValueError(f'meta_per_class={meta_per_class} leaves no training image for some '
                         f'class (per-class images: {list(available)[:20]}...).')
    n_max = max(avail) if avail else 0
    sizes = lt_class_sizes(n_max, len(avail), imbalance_factor, imb_type)
    counts = [min(s, a) for s, a in zip(sizes, avail)]
    warn_empty_classes(counts, imbalance_factor, owner)
    return counts


def long_tailed_indices(labels, num_classes: Optional[int] = None, imbalance_factor: float = 100.,
                        imb_type: str = 'exp', seed: int = 0, meta_per_class: int = 0,
                        subset: str = 'lt', selection: str = 'random',
                        owner: str = 'long-tailed dataset') -> Tuple[np.ndarray, List[int]]:
    """Apply the protocol to a label array.

    Args:
        labels: integer label of every sample of the full (balanced) training split, in file order.
        num_classes: number of classes (default ``labels.max() + 1``).

    Returns:
        ``(indices, lt_counts)``: the positions (into ``labels``) of the requested subset in
        protocol order, and the per-class sizes of the long-tailed training subset (also for
        ``subset='meta'``: they are the training counts the meta set is evaluated against).
    """
    imbalance_factor = check_lt_args(imbalance_factor, imb_type, seed, meta_per_class, subset,
                                     selection, owner)
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f'{owner}: expected one integer label per sample, got an array of shape '
                         f'{labels.shape}.')
    labels = labels.astype(np.int64, copy=False)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'{owner}: labels must lie in [0, {num_classes - 1}], got '
                         f'[{int(labels.min())}, {int(labels.max())}].')
    per_class, meta = _split_meta(class_indices(labels, num_classes), meta_per_class, owner)
    if subset == 'meta':
        lt_counts = lt_counts_from_available([len(i) for i in per_class], imbalance_factor,
                                             imb_type, owner=owner)
        return np.concatenate(meta).astype(np.int64) if meta else np.zeros(0, np.int64), lt_counts

    n_max = max((len(i) for i in per_class), default=0)
    sizes = lt_class_sizes(n_max, num_classes, imbalance_factor, imb_type)
    rng = np.random.RandomState(seed)
    selected = []
    for c in range(num_classes):
        idx = per_class[c].copy()
        if selection == 'random':
            rng.shuffle(idx)  # same draws as np.random.seed(seed); np.random.shuffle(idx)
        selected.append(idx[:sizes[c]])
    lt_counts = [len(s) for s in selected]
    warn_empty_classes(lt_counts, imbalance_factor, owner)
    indices = np.concatenate(selected).astype(np.int64) if selected else np.zeros(0, np.int64)
    return indices, lt_counts


class LongTailProtocolMixin:
    """The long-tailed protocol's keyword arguments, checked and kept as attributes, and its uses.

    Shared by :class:`~mmltr.datasets.CIFAR10LT`/``CIFAR100LT`` and
    :class:`~mmltr.datasets.LongTailedDataset`, whose ``__init__`` passes these keyword arguments
    on (through ``super().__init__``) and whose other arguments go to the next base class.

    Args:
        imbalance_factor (float): ``n_max / n_min`` >= 1; 1 keeps every image. Default 100.
        imb_type (str): ``'exp'`` (default) or ``'step'``.
        seed (int): protocol seed (LDAM's ``rand_number``). Default 0.
        meta_per_class (int): images per class held out (the last ones in file order) before the
            long tail is drawn, Difficulty-Net's balanced meta set. Default 0 (no hold-out).
        subset (str): ``'lt'`` (default) the long-tailed training subset, or ``'meta'`` the
            balanced held-out set (needs ``meta_per_class > 0``), class by class in file order.
        selection (str): ``'random'`` (default, LDAM's seeded per-class shuffle) or ``'first'``:
            the first ``n_c`` images of each class in file order, unshuffled, as Difficulty-Net's
            released code.
    """

    def __init__(self, *args, imbalance_factor: float = 100, imb_type: str = 'exp', seed: int = 0,
                 meta_per_class: int = 0, subset: str = 'lt', selection: str = 'random',
                 **kwargs) -> None:
        self.imbalance_factor = check_lt_args(imbalance_factor, imb_type, seed, meta_per_class,
                                              subset, selection, owner=type(self).__name__)
        self.imb_type = imb_type
        self.seed = int(seed)
        self.meta_per_class = int(meta_per_class)
        self.subset = subset
        self.selection = selection
        super().__init__(*args, **kwargs)

    def _protocol_indices(self, labels: np.ndarray, num_classes: int,
                          owner: str) -> Tuple[np.ndarray, List[int]]:
        """:func:`long_tailed_indices` of a training set's ``labels`` under this protocol."""
        return long_tailed_indices(labels, num_classes, self.imbalance_factor, self.imb_type,
                                   self.seed, self.meta_per_class, self.subset, self.selection,
                                   owner=owner)

    def _protocol_counts(self, available: Sequence[int]) -> List[int]:
        """:func:`lt_counts_from_available`: the training counts this protocol gives."""
        return lt_counts_from_available(available, self.imbalance_factor, self.imb_type,
                                        self.meta_per_class, owner=type(self).__name__)

    def _protocol_repr(self) -> str:
        return (f'IF={self.imbalance_factor:g}, {self.imb_type}, seed={self.seed}, '
                f'meta_per_class={self.meta_per_class}, subset={self.subset}, '
                f'selection={self.selection}')
