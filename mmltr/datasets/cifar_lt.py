"""CIFAR-10-LT / CIFAR-100-LT on the official python-pickle archives (LDAM-DRW protocol)."""
import pickle
from typing import List, Sequence

import mmengine.dist as dist
import numpy as np
from mmengine.fileio import LocalBackend, exists, get, get_file_backend, join_path
from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.datasets.utils import download_and_extract_archive
from mmpretrain.registry import DATASETS

from .imbalance import LongTailProtocolMixin
from .utils import GtLabelsArrayMixin


def _as_str_keys(entry: dict) -> dict:
    return {(k.decode('latin1') if isinstance(k, bytes) else k): v for k, v in entry.items()}


def _labels_of(entry: dict, path: str) -> list:
    for key in ('labels', 'fine_labels'):
        if key in entry:
            return entry[key]
    raise KeyError(f'{path}: neither "labels" (CIFAR-10) nor "fine_labels" (CIFAR-100) in the '
                   f'pickle; keys: {sorted(entry)}.')


def load_cifar_pickle(path: str) -> dict:
    """One official CIFAR python pickle as a dict with ``str`` keys; a clear error naming
    ``path`` when it is corrupt or truncated."""
    try:
        entry = pickle.loads(get(path), encoding='latin1')
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, ImportError) as e:
        raise ValueError(f'{path}: not a readable CIFAR python pickle ({type(e).__name__}: {e}); '
                         'the file is corrupt or truncated: download and extract the official '
                         'archive again.') from e
    if not isinstance(entry, dict):
        raise ValueError(f'{path}: expected a CIFAR python pickle holding a dict, got '
                         f'{type(entry).__name__}.')
    return _as_str_keys(entry)


def read_cifar_labels(path: str) -> np.ndarray:
    """Labels of one official CIFAR pickle (the image array is dropped right away)."""
    return np.asarray(_labels_of(load_cifar_pickle(path), path), dtype=np.int64)


@DATASETS.register_module()
class CIFAR10LT(LongTailProtocolMixin, GtLabelsArrayMixin, CIFAR10):
    """CIFAR-10-LT: MMPretrain's ``CIFAR10`` with the LDAM-DRW long-tailed train split.

    The train split keeps, for class ``c`` (label order), ``n_c = int(n_max * IF^(-c/(C-1)))``
    images (``imb_type='exp'``; ``'step'``: first half ``n_max``, second half ``n_max/IF``) chosen
    by one ``np.random.RandomState(seed)`` shuffling each class's indices in file order, exactly
    as LDAM-DRW's ``IMBALANCECIFAR10`` (same images, same order). IF 100 gives 5000, 2997, 1796,
    1077, 645, 387, 232, 139, 83, 50 images (12,406). The test split is never subsampled. Both
    splits carry the long-tailed *training* class counts in ``metainfo['class_counts']`` (tuple
    of ints); the test split keeps only the labels of the train pickles to get them.

    Args:
        data_root (str): folder holding ``cifar-10-batches-py/`` (``cifar-100-python/``).
        split (str): ``'train'`` or ``'test'``.
        download (bool): download the archive if files are missing. Default False: a missing file
            raises ``FileNotFoundError`` naming it (no network access is attempted).
        **kwargs: the protocol's keyword arguments (``imbalance_factor`` (default 100),
            ``imb_type``, ``seed``, ``meta_per_class``, ``subset``, ``selection``: see
            :class:`~mmltr.datasets.imbalance.LongTailProtocolMixin`; ``meta_per_class`` holds out
            the last images of each class before the long-tailed sampling, which then uses
            ``n_max = 5000 - meta_per_class``; ``subset='meta'`` needs the train split), and the
            other arguments of MMPretrain's ``CIFAR10`` / ``BaseDataset`` (``pipeline``,
            ``metainfo``, ``test_mode``, ``lazy_init``...).
    """

    def __init__(self, data_root: str = '', split: str = 'train', *, download: bool = False,
                 **kwargs):
        if kwargs.get('subset') == 'meta' and split != 'train':
            raise ValueError(f"{type(self).__name__}: subset='meta' is the hold-out of the train "
                             f'split; got split={split!r}.')
        super().__init__(data_root=data_root, split=split, download=download, **kwargs)

    # ------------------------------------------------------------------ files
    def _file_path(self, file_name: str) -> str:
        return join_path(self.data_prefix['root'], self.base_folder, file_name)

    def _missing_files(self, names: Sequence[str]) -> List[str]:
        return [self._file_path(n) for n in names if not exists(self._file_path(n))]

    def _ensure_files(self) -> None:
        """Files the requested split needs (the train batches always: they define the counts)."""
        names = [n for n, _ in self.train_list]
        if self.split != 'train':
            names += [n for n, _ in self.test_list]
        missing = self._missing_files(names)
        if not missing:
            return
        root = self.data_prefix['root']
        if self.download:
            backend = get_file_backend(root, enable_singleton=True)
            if not isinstance(backend, LocalBackend):
                raise RuntimeError(f'{type(self).__name__}: cannot download to non-local {root}.')
            if dist.is_main_process():
                download_and_extract_archive(self.url, root, filename=self.filename,
                                             md5=self.tgz_md5)
            dist.barrier()
            missing = self._missing_files(names)
            if not missing:
                return
        raise FileNotFoundError(
            f'{type(self).__name__}: missing data file(s) {missing}. Expected the official python '
            f'version ({self.filename}) extracted under data_root={root!r}, i.e. '
            f'{self._file_path("")}<files>'
            + ('' if self.download else '; pass download=True to fetch it') + '.')

    def _read_split(self, entries) -> tuple:
        imgs, labels = [], []
        for file_name, _ in entries:
            path = self._file_path(file_name)
            entry = load_cifar_pickle(path)
            imgs.append(entry['data'])
            labels.extend(_labels_of(entry, path))
        imgs = np.vstack(imgs).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))  # HWC, RGB
        return imgs, np.asarray(labels, dtype=np.int64)

    def _train_labels(self) -> np.ndarray:
        return np.concatenate([read_cifar_labels(self._file_path(n)) for n, _ in self.train_list])

    # ------------------------------------------------------------------ data
    def load_data_list(self):
        self._ensure_files()
        num_classes = len(self.CLASSES) if self.CLASSES is not None else None
        if self.CLASSES is None:
            self._load_meta()
            num_classes = len(self.CLASSES)
        name = type(self).__name__
        if self.split == 'train':
            imgs, labels = self._read_split(self.train_list)
            indices, counts = self._protocol_indices(labels, num_classes, owner=name)
        else:
            available = np.bincount(self._train_labels(), minlength=num_classes)
            if len(available) != num_classes:
                raise ValueError(f'{name}: train labels exceed the {num_classes} classes.')
            counts = self._protocol_counts(available)
            imgs, labels = self._read_split(self.test_list)
            indices = np.arange(len(labels))
        self._metainfo['class_counts'] = tuple(int(c) for c in counts)
        self._set_gt_labels(labels[indices])
        return [{'img': imgs[i], 'gt_label': int(labels[i])} for i in indices]

    def extra_repr(self) -> List[str]:
        body = super().extra_repr()
        body.append(f'Long tail: \t{self._protocol_repr()}')
        return body


@DATASETS.register_module()
class CIFAR100LT(CIFAR100, CIFAR10LT):
    """CIFAR-100-LT (``cifar-100-python/``); IF 100 gives 10,847 train images, 500 down to 5.

    Same arguments and protocol as :class:`CIFAR10LT`.
    """
