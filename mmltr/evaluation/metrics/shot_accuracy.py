"""Many/medium/few-shot accuracy, the standard long-tailed recognition metric."""
import json
import math
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MessageHub
from mmengine.structures import BaseDataElement
from mmpretrain.registry import METRICS

from mmltr.utils import check_class_counts

GROUPS = ('many', 'medium', 'few')
# Runtime-info keys of MMEngine's MessageHub through which ``PerClassAccuracyHook`` tells the
# metric where the run writes (its work dir) and which evaluation this is (``epoch_3``, ``test``).
WORK_DIR_KEY = 'shot_accuracy/work_dir'
EVAL_NAME_KEY = 'shot_accuracy/eval_name'


def _to_int_label(value: Any, key: str) -> int:
    """One integer label from a tensor / array / sequence of one element, or an int."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        flat = value.reshape(-1)
        if flat.shape[0] != 1:
            raise ValueError(f'ShotAccuracy needs one `{key}` per sample (single-label '
                             f'classification), got shape {tuple(value.shape)}.')
        return int(flat[0])
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError(f'ShotAccuracy needs one `{key}` per sample, got {value!r}.')
        return int(value[0])
    return int(value)


def _nan_to_none(x: float) -> Optional[float]:
    return None if isinstance(x, float) and math.isnan(x) else x


def shot_groups(counts: Any, many_thr: int = 100, few_thr: int = 20) -> np.ndarray:
    """Group name per class: 'many' (n > many_thr), 'medium' (few_thr <= n <= many_thr), 'few'."""
    counts = np.asarray(counts)
    groups = np.full(len(counts), 'medium', dtype=object)
    groups[counts > many_thr] = 'many'
    groups[counts < few_thr] = 'few'
    return groups


@METRICS.register_module()
class ShotAccuracy(BaseMetric):
    """Top-1 accuracy overall and on the many-, medium- and few-shot classes.

    Keys (with the default prefix ``lt``), all in percent like MMPretrain's ``Accuracy``:

    * ``lt/top1``: overall top-1 accuracy over all test samples.
    * ``lt/many``: classes with **more than** ``many_thr`` training images (``n > 100``).
    * ``lt/medium``: classes with ``few_thr <= n <= many_thr`` training images (20 to 100
      inclusive).
    * ``lt/few``: classes with **fewer than** ``few_thr`` training images (``n < 20``).
    * ``lt/mean_class``: mean per-class accuracy (balanced accuracy) over all classes with test
      samples; on a class-balanced test set it equals ``lt/top1`` up to rounding.
    * ``lt/per_class`` (only with ``per_class=True``): a list of per-class accuracies in class
      order (``None`` for classes without test samples). MMEngine logs only scalars, so the list
      reaches TensorBoard/WandB as scalars ``lt/per_class/<class name>`` through
      :class:`~mmltr.engine.hooks.PerClassAccuracyHook` (in mmltr's default runtime).

    The strict ``>`` / ``<`` thresholds are those of the reference code (classifier-balancing's
    ``shot_acc``, RIDE, DBM). A group's accuracy is the **mean of the per-class accuracies** of its
    classes (not the pooled accuracy of its samples). Classes with no test sample are left out of
    every group mean and of ``mean_class``. A group with no class left (e.g. ``few`` on
    CIFAR-10-LT IF100, whose smallest class has 50 images) is reported as ``None`` (``null`` in
    JSON), never as 0 or NaN: it is never averaged in as a zero, MMEngine leaves it out of
    ``scalars.json`` (a non-scalar) and every JSON written stays strict JSON. (Do not use a
    possibly-empty group as a ``save_best`` key.)

    The training images per class come from, in order of precedence:

    1. the ``class_counts`` argument, if given;
    2. the counts of the run's training set, handed over by
       :meth:`set_train_class_counts` (``LongTailLossHook`` does it before training, so an
       imbalance factor changed on the training set only, e.g. with ``--cfg-options
       train_dataloader.dataset.imbalance_factor=50``, also changes the groups);
    3. ``dataset_meta['class_counts']``: the runner sets ``dataset_meta`` to the val/test
       dataset's ``metainfo``, and mmltr's long-tailed datasets put the *training* class counts
       there on every split (what ``tools/test.py`` runs, which have no training set, use).

    If neither exists, or their length differs from the number of classes
    (``len(dataset_meta['classes'])`` when the dataset declares classes, and the size of the
    predictions' ``pred_score``), a ``ValueError`` says so: when ``dataset_meta`` is set (that is,
    when the runner builds the val/test loop) and again when the metric is computed.

    Memory is O(1) per sample: :meth:`process` keeps the predicted label
    (``data_sample['pred_label']``, or the argmax of ``pred_score`` if a sample has no
    ``pred_label``), the ground-truth label and the number of scores: three Python ints, never a
    score vector. The results are gathered across ranks by :class:`BaseMetric` under DDP.

    Args:
        many_thr (int | float): Classes with ``n > many_thr`` training images are many-shot.
            Defaults to 100.
        few_thr (int | float): Classes with ``n < few_thr`` training images are few-shot.
            Must not exceed ``many_thr``. Defaults to 20.
        class_counts (Sequence[int], optional): Training images per class; overrides
            ``dataset_meta['class_counts']``.
        per_class (bool): Also return ``per_class`` (a list) and, in a run (see
            ``dump_per_class``), write ``per_class/<evaluation>.json`` under the work dir.
            Defaults to False.
        dump_per_class (str, optional): Where every evaluation writes (by rank 0) a JSON with the
            thresholds, the summary accuracies and, for each class, its index, name (if known),
            training count, test count, correct count, accuracy (``null`` when it has no test
            samples) and group. A path ending in ``.json`` is one file, rewritten at each
            evaluation; any other path is a folder that gets one file per evaluation,
            ``epoch_{N}.json`` (``iter_{N}.json`` for iteration-based training, ``test.json``
            for the test loop, ``val.json`` for a validation-only run). A relative path resolves
            under the run's work dir (told by ``PerClassAccuracyHook``; the current directory
            outside a run). Missing folders are created. Defaults to ``'per_class'`` when
            ``per_class=True`` inside a run, else None (no file).
        collect_device (str): ``'cpu'`` or ``'gpu'``, see :class:`mmengine.evaluator.BaseMetric`.
        prefix (str, optional): Key prefix; defaults to ``'lt'``.
        collect_dir (str, optional): See :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix: Optional[str] = 'lt'
    _train_counts: Optional[np.ndarray] = None

    def __init__(self,
                 many_thr: float = 100,
                 few_thr: float = 20,
                 class_counts: Optional[Sequence[int]] = None,
                 per_class: bool = False,
                 dump_per_class: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        for name, value in (('many_thr', many_thr), ('few_thr', few_thr)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise ValueError(f'ShotAccuracy: {name} must be a number, got {value!r}.')
        if few_thr > many_thr:
            raise ValueError(f'ShotAccuracy: few_thr ({few_thr}) must not exceed many_thr '
                             f'({many_thr}).')
        self.many_thr = many_thr
        self.few_thr = few_thr
        self.class_counts = (None if class_counts is None else check_class_counts(
            class_counts, 'ShotAccuracy: the class_counts argument', allow_empty=False))
        self.per_class = per_class
        self.dump_per_class = dump_per_class

    def set_train_class_counts(self, class_counts: Sequence[int]) -> None:
        """The training images per class of the run's training set (see the class docstring).

        They win over ``dataset_meta['class_counts']``, not over the ``class_counts`` argument.
        """
        self._train_counts = check_class_counts(
            class_counts, "ShotAccuracy: the training set's class_counts", allow_empty=False)
        if self.dataset_meta is not None:
            self._resolve_counts()

    # -- dataset meta: check the class counts as soon as the runner hands the metainfo over ----
    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta
        if dataset_meta is not None:
            self._resolve_counts()  # fail at loop construction, not after a training epoch

    def _resolve_counts(self, num_scores: Optional[int] = None) -> np.ndarray:
        """The training class counts, checked against every known number of classes."""
        meta = self.dataset_meta or {}
        if self.class_counts is not None:
            counts, source = self.class_counts, 'the class_counts argument'
        elif self._train_counts is not None:
            counts, source = self._train_counts, "the training set's class_counts"
        elif meta.get('class_counts') is not None:
            source = "dataset_meta['class_counts']"
            counts = check_class_counts(meta['class_counts'], f'ShotAccuracy: {source}',
                                        allow_empty=False)
        else:
            raise ValueError(
                'ShotAccuracy needs the number of training images per class, but got no '
                '`class_counts` argument and the dataset metainfo has no "class_counts" key. '
                'Use one of mmltr\'s long-tailed datasets (they put the training counts into the '
                'metainfo of every split) or pass '
                '`val_evaluator=dict(type=\'ShotAccuracy\', class_counts=[...])`.')
        checks = []
        if meta.get('classes') is not None:
            checks.append((len(meta['classes']), "len(dataset_meta['classes'])"))
        if num_scores is not None and num_scores > 0:
            checks.append((num_scores, 'the size of the predicted scores (pred_score)'))
        for num_classes, what in checks:
            if len(counts) != num_classes:
                raise ValueError(f'ShotAccuracy: {source} has {len(counts)} entries but the '
                                 f'number of classes is {num_classes} ({what}).')
        return counts

    # -- per batch: three ints per sample ------------------------------------------------------
    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            if sample.get('gt_label') is None:
                raise KeyError('ShotAccuracy: a data sample has no `gt_label`.')
            gt = _to_int_label(sample['gt_label'], 'gt_label')
            score = sample.get('pred_score')
            num_scores = -1
            if score is not None:
                num_scores = int(score.numel() if isinstance(score, torch.Tensor) else
                                 np.asarray(score).size)
            if sample.get('pred_label') is not None:
                pred = _to_int_label(sample['pred_label'], 'pred_label')
            elif score is not None:
                pred = int(torch.as_tensor(score).reshape(-1).argmax())
            else:
                raise KeyError('ShotAccuracy: a data sample has neither `pred_label` nor '
                               '`pred_score`.')
            self.results.append((pred, gt, num_scores))

    # -- once per evaluation (rank 0) ----------------------------------------------------------
    def compute_metrics(self, results: List[Tuple[int, int, int]]) -> Dict[str, Any]:
        n = len(results)
        preds = np.fromiter((r[0] for r in results), dtype=np.int64, count=n)
        gts = np.fromiter((r[1] for r in results), dtype=np.int64, count=n)
        score_sizes = {int(r[2]) for r in results if r[2] > 0}
        if len(score_sizes) > 1:
            raise ValueError(f'ShotAccuracy: predictions have different numbers of scores: '
                             f'{sorted(score_sizes)}.')
        counts = self._resolve_counts(score_sizes.pop() if score_sizes else None)
        num_classes = len(counts)
        if n and (gts.min() < 0 or gts.max() >= num_classes):
            raise ValueError(f'ShotAccuracy: ground-truth labels must lie in [0, '
                             f'{num_classes - 1}] (one per class count), got '
                             f'[{gts.min()}, {gts.max()}].')

        total = np.bincount(gts, minlength=num_classes)
        correct = np.bincount(gts[preds == gts], minlength=num_classes)
        has_test = total > 0
        acc = np.full(num_classes, np.nan)
        acc[has_test] = correct[has_test] / total[has_test] * 100.0

        def mean_of(mask: np.ndarray) -> Optional[float]:
            mask = mask & has_test
            return float(acc[mask].mean()) if mask.any() else None

        groups = self._groups(counts)
        metrics: Dict[str, Any] = {
            'top1': float((preds == gts).mean() * 100.0) if n else None,
        }
        for name in GROUPS:
            metrics[name] = mean_of(groups == name)
        metrics['mean_class'] = mean_of(np.ones(num_classes, dtype=bool))
        if self.per_class:
            metrics['per_class'] = [_nan_to_none(float(a)) for a in acc]
        path = self._dump_path()
        if path is not None:
            self._dump(path, metrics, counts, total, correct, acc, groups)
        return metrics

    def _dump_path(self) -> Optional[str]:
        """The JSON file this evaluation writes, or None; see ``dump_per_class``."""
        hub = MessageHub.get_current_instance()
        work_dir = hub.get_info(WORK_DIR_KEY)
        target = self.dump_per_class
        if target is None:
            if not (self.per_class and work_dir):
                return None
            target = 'per_class'
        target = osp.expanduser(target)
        if not osp.isabs(target) and work_dir:
            target = osp.join(work_dir, target)
        if not target.endswith('.json'):
            target = osp.join(target, f"{hub.get_info(EVAL_NAME_KEY) or 'eval'}.json")
        return osp.abspath(target)

    def _groups(self, counts: np.ndarray) -> np.ndarray:
        return shot_groups(counts, self.many_thr, self.few_thr)

    def _dump(self, path, metrics, counts, total, correct, acc, groups) -> None:
        meta = self.dataset_meta or {}
        names = meta.get('classes')
        names = list(names) if names is not None and len(names) == len(counts) else None
        classes = []
        for c in range(len(counts)):
            classes.append(
                dict(index=c,
                     name=None if names is None else str(names[c]),
                     train_count=int(counts[c]),
                     test_count=int(total[c]),
                     correct=int(correct[c]),
                     accuracy=_nan_to_none(float(acc[c])),
                     group=str(groups[c])))
        summary = {k: v for k, v in metrics.items() if k != 'per_class'}
        payload = dict(many_thr=self.many_thr, few_thr=self.few_thr,
                       num_classes_per_group={g: int((groups == g).sum()) for g in GROUPS},
                       metrics=summary, classes=classes)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(payload, f, indent=2, allow_nan=False)
