"""List-file long-tailed datasets: ImageNet-LT, iNaturalist 2018, Places-LT.

Annotation format (OLTR / Decoupling releases): one sample per line,
``relative/path.jpg <integer label>`` with the path relative to ``data_root`` (``data_prefix``)::

    train/n01440764/n01440764_10026.JPEG 0                       # ImageNet_LT_train.txt
    train_val2018/Plantae/7477/3b60c9486db1d2ee875f11a669fbde4a.jpg 7477   # iNaturalist18_train.txt
    train/airfield/00000001.jpg 0                                # Places_LT_train.txt

Labels are kept in an int64 array next to MMEngine's serialized data list, so ``get_gt_labels``,
``get_cat_ids`` and the class counts never deserialize a sample (iNat: 437,513 lines).
"""
import warnings
from typing import List, Optional, Tuple

import numpy as np
from mmengine.fileio import exists, get_file_backend, get_text, join_path
from mmengine.utils import is_abs
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
from mmpretrain.registry import DATASETS

from .utils import GtLabelsArrayMixin, load_naming_file

_FORMAT = '"relative/path.jpg <integer label>"'


def parse_list_file(path: str, num_classes: Optional[int] = None,
                    labels_only: bool = False) -> Tuple[Optional[List[str]], np.ndarray]:
    """Parse a ``path label`` list file quickly (one ``str.split`` per line, labels via numpy).

    Blank lines are skipped. A malformed line or an out-of-range label raises ``ValueError``
    naming the file, the 1-based line number and the line; an image listed twice a warning.
    Returns ``(paths, labels)`` (``paths`` is None with ``labels_only=True``).
    """
    if not exists(path):
        raise FileNotFoundError(f'annotation file not found: {path}')
    lines = get_text(path).splitlines()
    parts = [line.split() for line in lines]
    good = [p for p in parts if len(p) == 2]
    if len(good) != len(parts):
        for lineno, p in enumerate(parts, 1):
            if len(p) not in (0, 2):
                raise ValueError(f'{path}, line {lineno}: malformed line {lines[lineno - 1]!r}; '
                                 f'expected {_FORMAT} (one space, no spaces in the path).')
    if not good:
        raise ValueError(f'{path}: no samples (expected lines like {_FORMAT}).')
    label_strs = [p[1] for p in good]
    try:
        labels = np.array(label_strs, dtype=np.int64)
    except (ValueError, OverflowError):
        labels = None
    if labels is None or len(good) != len(parts) or (
            num_classes is not None and (labels.min() < 0 or labels.max() >= num_classes)):
        # slow path: locate the first offending line for the error message
        for lineno, p in enumerate(parts, 1):
            if not p:
                continue
            try:
                label = int(p[1])
            except ValueError:
                raise ValueError(f'{path}, line {lineno}: malformed line {lines[lineno - 1]!r}; '
                                 f'the label {p[1]!r} is not an integer ({_FORMAT}).') from None
            if num_classes is not None and not 0 <= label < num_classes:
                raise ValueError(f'{path}, line {lineno}: label {label} out of range for '
                                 f'{num_classes} classes (valid: 0..{num_classes - 1}) in line '
                                 f'{lines[lineno - 1]!r}.')
        if labels is None:  # e.g. '0x10' accepted by neither
            raise ValueError(f'{path}: could not parse the labels as integers.')
    all_paths = [p[0] for p in good]
    _warn_duplicates(path, all_paths)
    return (None if labels_only else all_paths), labels


def _warn_duplicates(path: str, paths: List[str]) -> None:
    """Warn when an image is listed more than once (it would be counted and sampled twice)."""
    if len(set(paths)) == len(paths):
        return
    seen, first = set(), None
    for image in paths:
        if image in seen:
            first = first or image
        seen.add(image)
    warnings.warn(f'{path}: {len(paths) - len(seen)} duplicated line(s) (the first: {first!r}); '
                  'each copy is counted as a separate training image and sampled again. Remove '
                  'the duplicates if they are not intended.')


@DATASETS.register_module()
class LTListDataset(GtLabelsArrayMixin, BaseDataset):
    """Generic long-tailed dataset read from a ``relative/path.jpg label`` list file.

    ``metainfo['class_counts']`` (tuple of ints, length ``num_classes``) always holds the
    *training* class counts: from ``train_ann_file`` when given (val/test splits), otherwise from
    ``ann_file`` itself (which is then the training list).

    Args:
        data_root (str): dataset root; relative ``ann_file``/``train_ann_file``/``data_prefix`` are
            joined to it.
        ann_file (str): the list file of this split.
        data_prefix (str | dict): image folder the list's paths are relative to (default: root).
        train_ann_file (str, optional): training list for the class counts of a val/test split.
        num_classes (int, optional): number of classes (fixed by the dataset subclasses). For this
            generic class it defaults to ``len(metainfo['classes'])`` or the largest training
            label + 1.
        **kwargs: other arguments of MMPretrain's ``BaseDataset`` (``pipeline``, ``metainfo``,
            ``serialize_data``, ``indices``, ``lazy_init``, ``test_mode``...).
    """

    NUM_CLASSES: Optional[int] = None

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 data_prefix='',
                 train_ann_file: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs):
        name = type(self).__name__
        if not ann_file:
            raise ValueError(f'{name}: ann_file (a {_FORMAT} list) is required.')
        if self.NUM_CLASSES is not None:
            if num_classes is not None and int(num_classes) != self.NUM_CLASSES:
                raise ValueError(f'{name} has {self.NUM_CLASSES} classes; got num_classes='
                                 f'{num_classes}. Use LTListDataset for other class counts.')
            num_classes = self.NUM_CLASSES
        self.num_classes = None if num_classes is None else int(num_classes)
        if train_ann_file and not is_abs(train_ann_file) and data_root:
            train_ann_file = join_path(data_root, train_ann_file)
        self.train_ann_file = train_ann_file or None
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         metainfo=metainfo, **kwargs)
        classes = self._metainfo.get('classes')
        if classes is not None:
            if self.num_classes is None:
                self.num_classes = len(classes)
            elif len(classes) != self.num_classes:
                raise ValueError(f'{name}: metainfo has {len(classes)} class names but the '
                                 f'dataset has {self.num_classes} classes.')

    @classmethod
    def default_classes(cls, num_classes: int) -> Tuple[str, ...]:
        return tuple(str(i) for i in range(num_classes))

    def load_data_list(self) -> List[dict]:
        paths, labels = parse_list_file(self.ann_file, self.num_classes)
        if self.train_ann_file:
            _, train_labels = parse_list_file(self.train_ann_file, self.num_classes,
                                              labels_only=True)
        else:
            train_labels = labels
        num_classes = self.num_classes
        if num_classes is None:
            num_classes = int(max(labels.max(), train_labels.max())) + 1
            self.num_classes = num_classes
        elif labels.max() >= num_classes:  # only possible without NUM_CLASSES/classes
            raise ValueError(f'{self.ann_file}: label {int(labels.max())} >= num_classes '
                             f'{num_classes}.')
        counts = np.bincount(train_labels, minlength=num_classes)
        if len(counts) != num_classes:
            raise ValueError(f'{type(self).__name__}: the training list has labels up to '
                             f'{len(counts) - 1}, more than the {num_classes} classes.')
        self._metainfo['class_counts'] = tuple(int(c) for c in counts)
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = self.default_classes(num_classes)
        self._set_gt_labels(labels)
        backend = get_file_backend(self.img_prefix, enable_singleton=True)
        prefix = self.img_prefix
        return [{'img_path': backend.join_path(prefix, path), 'gt_label': int(label)}
                for path, label in zip(paths, labels.tolist())]

    def prepare_data(self, idx: int):
        return load_naming_file(super().prepare_data, idx,
                                lambda i: self.get_data_info(i).get('img_path'))

    def extra_repr(self) -> List[str]:
        body = [f'Annotation file: \t{self.ann_file}']
        if self.train_ann_file:
            body.append(f'Training list (class counts): \t{self.train_ann_file}')
        body.append(f'Prefix of images: \t{self.img_prefix}')
        return body


@DATASETS.register_module()
class ImageNetLT(LTListDataset):
    """ImageNet-LT (Liu et al., Large-Scale Long-Tailed Recognition in an Open World, CVPR 2019,
    https://arxiv.org/abs/1904.05160): 1000 classes, standard ImageNet label order.

    Lists: ``ImageNet_LT_train.txt`` (115,846 lines, 1280..5 per class), ``ImageNet_LT_val.txt``
    (20/class, from the ImageNet *train* folder), ``ImageNet_LT_test.txt`` (50/class = ILSVRC2012
    val as ``val/nXXXX/ILSVRC2012_val_XXXXXXXX.JPEG``). Paths are relative to ``data_root``.
    """
    NUM_CLASSES = 1000
    METAINFO = {'classes': IMAGENET_CATEGORIES}


@DATASETS.register_module()
class INaturalist2018(LTListDataset):
    """iNaturalist 2018 (Van Horn et al., The iNaturalist Species Classification and Detection
    Dataset, CVPR 2018, https://arxiv.org/abs/1707.06642): 8,142 classes;
    ``iNaturalist18_train.txt`` (437,513 lines, 1000..2 per class) and ``iNaturalist18_val.txt``
    (24,426 = 3/class), paths ``train_val2018/<Kingdom>/<id>/<hash>.jpg``, label = the numeric
    class id."""
    NUM_CLASSES = 8142


@DATASETS.register_module()
class PlacesLT(LTListDataset):
    """Places-LT (Liu et al., https://arxiv.org/abs/1904.05160): 365 classes;
    ``Places_LT_train.txt`` (62,500 lines, 4,980..5 per class), ``Places_LT_val.txt`` (20/class),
    ``Places_LT_test.txt`` (100/class)."""
    NUM_CLASSES = 365

