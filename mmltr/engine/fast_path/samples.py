"""The data samples of a fast-path batch: a :class:`LabelBatch`, or a list of ``DataSample``.

MMPretrain's models read a training batch's labels from a list with one ``DataSample`` per image:
``ClsDataPreprocessor`` concatenates their ``gt_label`` and writes the pieces back one by one, and
the head concatenates them again (``ClsHead._get_loss``: ``torch.cat([s.gt_label for s in
data_samples])``). Building 64 ``DataSample`` objects per iteration and these per-sample round
trips cost more Python time than a ResNet-32 step takes on a GPU.

:class:`LabelBatch` keeps a batch's labels as one tensor and reads as a sequence of data samples
(``len``, indexing, iteration). Its items (:class:`LabelSample`, all created at the first access,
without a Python call each) expose what models read: ``gt_label`` (a 1-element tensor view, as
the fast loop's ``DataSample`` has; the fast loops make these views once for the whole dataset,
:func:`label_views`, and pick each batch's), ``metainfo`` and ``get``/``in`` (``sample_idx`` when
the loop is asked for it) and metainfo keys as attributes. Anything else (writing a prediction,
another field) turns the item into a real ``DataSample`` once (:meth:`LabelSample.data_sample`),
which then serves every access; so any code written for ``DataSample`` lists still works, only
slower.

``ClsDataPreprocessor`` handles the labels of ``DataSample`` items only: a ``LabelBatch`` passes
through it unchanged. For hard labels already on the model's device that is exactly what it does
to a ``DataSample`` list (the same label values reach the head), unless it makes soft labels
(``batch_augments`` such as Mixup/CutMix, or ``to_onehot``). :func:`keeps_hard_labels` tells; the
fast loops hand ``LabelBatch`` es only to a model whose data preprocessor keeps hard labels, and
``DataSample`` lists (:func:`make_samples`) to any other model, so losses and gradients are those
of ``DataSample`` lists either way.
"""
from collections import deque
from itertools import repeat
from typing import List, Optional, Sequence, Union

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample

__all__ = [
    'LabelSample', 'LabelBatch', 'label_views', 'make_samples', 'batch_samples',
    'keeps_hard_labels'
]


def _data_sample(gt_label: torch.Tensor, metainfo: Optional[dict]) -> DataSample:
    """A ``DataSample`` with ``gt_label`` (kept as given: no copy, no conversion)."""
    sample = DataSample() if metainfo is None else DataSample(metainfo=metainfo)
    sample.set_field(gt_label, 'gt_label', dtype=torch.Tensor)
    return sample


def make_samples(labels: torch.Tensor,
                 indices: Optional[Sequence[int]] = None) -> List[DataSample]:
    """One ``DataSample`` per label, ``gt_label`` a 1-element view of ``labels`` (no copy)."""
    return [
        _data_sample(labels[j:j + 1], None if indices is None else dict(sample_idx=int(indices[j])))
        for j in range(labels.size(0))
    ]


class LabelSample:
    """One sample of a :class:`LabelBatch`: ``gt_label``, ``metainfo``; a ``DataSample`` on demand.

    Args:
        gt_label (Tensor): the label, shape ``(1,)``.
        metainfo (dict, optional): e.g. ``dict(sample_idx=...)``.
    """

    # gt_label is a plain slot, read without a Python call (heads read every item's); it is
    # emptied when the item becomes a DataSample, whose gt_label __getattr__ then returns
    __slots__ = ('gt_label', '_meta', '_sample')

    def __init__(self, gt_label: torch.Tensor, metainfo: Optional[dict] = None) -> None:
        # the slots' own setters: this class's __setattr__ writes to the DataSample
        _set_label(self, gt_label)
        _set_meta(self, metainfo)
        _set_sample(self, None)

    @staticmethod
    def many(gt_labels: Sequence[torch.Tensor],
             metainfos: Optional[Sequence[Optional[dict]]] = None) -> List['LabelSample']:
        """``[LabelSample(g, m) for g, m in zip(gt_labels, metainfos)]``, built without a Python
        call per item (the fast loops make one per image in every iteration)."""
        n = len(gt_labels)
        items = list(map(object.__new__, repeat(LabelSample, n)))
        deque(map(_set_label, items, gt_labels), maxlen=0)
        deque(map(_set_meta, items, repeat(None, n) if metainfos is None else metainfos),
              maxlen=0)
        deque(map(_set_sample, items, repeat(None, n)), maxlen=0)
        return items

    @property
    def metainfo(self) -> dict:
        if self._sample is not None:
            return self._sample.metainfo
        return dict(self._meta) if self._meta else {}

    def __contains__(self, key: str) -> bool:
        if self._sample is not None:
            return key in self._sample
        return key == 'gt_label' or (self._meta is not None and key in self._meta)

    def get(self, key: str, default=None):
        if self._sample is not None:
            return self._sample.get(key, default)
        if key == 'gt_label':
            return self.gt_label
        return self._meta.get(key, default) if self._meta else default

    def data_sample(self) -> DataSample:
        """This sample as a ``DataSample`` (created at the first call, then always the same)."""
        if self._sample is None:
            _set_sample(self, _data_sample(self.gt_label, self._meta))
            _del_label(self)  # from now on gt_label is the DataSample's
        return self._sample

    def __getattr__(self, name: str):
        # only called for names not found on the object: metainfo keys, else the DataSample's
        # (gt_label too, once the item is a DataSample)
        if name.startswith('__') or name in ('_meta', '_sample'):
            raise AttributeError(name)
        if self._sample is None and self._meta and name in self._meta:
            return self._meta[name]
        return getattr(self.data_sample(), name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self.data_sample(), name, value)

    def __repr__(self) -> str:
        if self._sample is not None:
            return repr(self._sample)
        return f'LabelSample(gt_label={self.gt_label!r}, metainfo={self.metainfo!r})'


_set_label, _set_meta, _set_sample = (LabelSample.__dict__[k].__set__
                                      for k in LabelSample.__slots__)
_del_label = LabelSample.__dict__['gt_label'].__delete__


class LabelBatch:
    """A batch's labels as one tensor, read as a sequence of data samples (:class:`LabelSample`).

    Args:
        labels (Tensor): the labels, shape ``(N,)``.
        sample_idx (Sequence[int], optional): the dataset index of each sample, put in each
            item's ``metainfo`` (as ``PackInputs`` does).
        views (Sequence[Tensor], optional): each item's ``gt_label``: ``N`` tensors of shape
            ``(1,)`` with the values of ``labels``, e.g. picked from views of a whole dataset's
            labels made once (:func:`label_views`), which saves making ``N`` views per batch.
            Default: views of ``labels`` (``labels.split(1)``), made at the first item access.
    """

    __slots__ = ('labels', 'sample_idx', '_views', '_items')

    def __init__(self, labels: torch.Tensor, sample_idx: Optional[Sequence[int]] = None,
                 views: Optional[Sequence[torch.Tensor]] = None) -> None:
        if labels.dim() != 1:
            raise ValueError(f'LabelBatch: labels must have shape (N,), got '
                             f'{tuple(labels.shape)}.')
        if sample_idx is not None and len(sample_idx) != labels.size(0):
            raise ValueError(f'LabelBatch: {len(sample_idx)} sample_idx values for '
                             f'{labels.size(0)} labels.')
        if views is not None and len(views) != labels.size(0):
            raise ValueError(f'LabelBatch: {len(views)} label views for {labels.size(0)} '
                             'labels.')
        self.labels = labels
        self.sample_idx = sample_idx
        self._views = views
        self._items: Optional[List[LabelSample]] = None

    def _samples(self) -> List[LabelSample]:
        if self._items is None:
            views = self.labels.split(1) if self._views is None else self._views
            metas = None if self.sample_idx is None else [
                dict(sample_idx=int(i)) for i in self.sample_idx]
            self._items = LabelSample.many(views, metas)
        return self._items

    def __len__(self) -> int:
        return self.labels.size(0)

    def __getitem__(self, index: Union[int, slice]):
        return self._samples()[index]

    def __iter__(self):
        return iter(self._samples())

    def to_data_samples(self) -> List[DataSample]:
        """The items as ``DataSample`` objects (each created once)."""
        return [s.data_sample() for s in self._samples()]

    def __repr__(self) -> str:
        return f'LabelBatch(labels={self.labels!r}, sample_idx={self.sample_idx!r})'


def label_views(labels: torch.Tensor) -> tuple:
    """Each label of ``labels`` (shape ``(N,)``) as a 1-element view, made once.

    The views share ``labels``' memory, so the items of every :class:`LabelBatch` built from them
    read the dataset's own label tensor: models read ``gt_label`` and must not write into it (as
    MMPretrain's heads and losses do; writing a new ``gt_label`` into an item is fine).
    """
    return labels.split(1)


def batch_samples(labels: torch.Tensor, indices: Optional[Sequence[int]] = None,
                  label_batch: bool = True,
                  views: Optional[Sequence[torch.Tensor]] = None
                  ) -> Union[LabelBatch, List[DataSample]]:
    """A batch's data samples: a :class:`LabelBatch` (with ``views`` as its items' labels if
    given) or (``label_batch=False``) a list of ``DataSample`` (:func:`make_samples`), with
    ``sample_idx`` from ``indices`` if given."""
    if label_batch:
        return LabelBatch(labels, indices, views)
    return make_samples(labels, indices)


def keeps_hard_labels(data_preprocessor) -> bool:
    """Whether ``data_preprocessor`` passes hard labels on as they are, so that a
    :class:`LabelBatch` (which it leaves alone) reaches the model with the same labels as a
    ``DataSample`` list: MMPretrain's ``ClsDataPreprocessor.forward`` without soft labels
    (``batch_augments``, ``to_onehot``)."""
    return (getattr(type(data_preprocessor), 'forward', None) is ClsDataPreprocessor.forward
            and getattr(data_preprocessor, 'batch_augments', None) is None
            and not getattr(data_preprocessor, 'to_onehot', False))
