"""Print the long-tailed statistics of a config's training (or val/test) set.

    python tools/analysis/lt_stats.py CONFIG [--split train|val|test] [--cfg-options ...]
        [--many-thr 100 --few-thr 20]

Shows the number of images, classes, imbalance factor, the many/medium/few class split used by
ShotAccuracy, and the per-class counts (head and tail). With ``--split val``/``test`` the counts
are that split's own images; the many/medium/few split still comes from the training counts it
carries. Only labels are read, no image is decoded.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmpretrain.registry import DATASETS  # noqa: E402

import mmltr  # noqa: E402,F401
from mmltr.datasets.long_tailed import dataset_labels  # noqa: E402
from mmltr.datasets.utils import get_class_counts  # noqa: E402
from mmltr.evaluation.metrics import shot_groups  # noqa: E402


def format_stats(counts: np.ndarray, many_thr: int = 100, few_thr: int = 20, show: int = 5,
                 train_counts: np.ndarray = None) -> str:
    """The statistics of ``counts``; the shot groups from ``train_counts`` (default ``counts``)."""
    groups = shot_groups(counts if train_counts is None else train_counts, many_thr, few_thr)
    many, medium, few = (groups == g for g in ('many', 'medium', 'few'))
    nonzero = counts[counts > 0]
    order = np.argsort(-counts, kind='stable')
    lines = [
        f'images: {int(counts.sum())}   classes: {len(counts)}   max: {int(counts.max())}   '
        f'min: {int(counts.min())}   imbalance factor: {counts.max() / max(nonzero.min(), 1):.1f}',
        f'many (> {many_thr}): {int(many.sum())} classes   medium ({few_thr}-{many_thr}): '
        f'{int(medium.sum())} classes   few (< {few_thr}): {int(few.sum())} classes',
        'largest: ' + ', '.join(f'{i}:{int(counts[i])}' for i in order[:show]),
        'smallest: ' + ', '.join(f'{i}:{int(counts[i])}' for i in order[::-1][:show]),
    ]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    parser.add_argument('--many-thr', type=int, default=100)
    parser.add_argument('--few-thr', type=int, default=20)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        dataset = DATASETS.build(cfg[f'{args.split}_dataloader']['dataset'])
    train_counts = get_class_counts(dataset)
    if args.split == 'train':
        print(format_stats(train_counts, args.many_thr, args.few_thr))
        return train_counts
    counts = np.bincount(dataset_labels(dataset), minlength=len(train_counts))
    print(f'{args.split} split (shot groups by the training counts, {int(train_counts.sum())} '
          'training images):')
    print(format_stats(counts, args.many_thr, args.few_thr, train_counts=train_counts))
    return counts


if __name__ == '__main__':
    main()
