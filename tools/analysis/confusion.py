"""Confusion matrix of a checkpoint on the test split with the classes sorted by training
frequency, and where the errors of each many/medium/few group land.

    python tools/analysis/confusion.py CONFIG CKPT --out work_dirs/analysis/confusion [--svg]

The counts come from MMPretrain's ``ConfusionMatrix.calculate`` (rows: true class, columns:
predicted class). Writes ``<out>.png`` (and ``.svg``): left, the matrix normalised per true class
(%), classes from the most to the least frequent in training, lines between the groups; right,
for the test errors of each true group, the share predicted as a many-, medium- or few-shot
class. ``<out>.json`` holds the counts (sorted and in class order), the per-class recall and
the error shares; ``tail_errors_into_head`` is the share of the few-shot classes' errors that
land in many-shot classes (``non_head_errors_into_head``: the same for medium and few).
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import _analysis  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmpretrain.evaluation import ConfusionMatrix  # noqa: E402


def _share(part: int, whole: int) -> Optional[float]:
    return float(part) / whole if whole else None


def summarize(labels, preds, counts, names: Optional[Sequence[str]] = None, many_thr=100,
              few_thr=20) -> dict:
    """The matrix (class order and sorted by training count) and the error flow per group."""
    counts = np.asarray(counts)
    num_classes = len(counts)
    matrix = ConfusionMatrix.calculate(np.asarray(preds), np.asarray(labels),
                                       num_classes=num_classes).numpy().astype(np.int64)
    groups = _analysis.groups_of(counts, many_thr, few_thr)
    order = np.argsort(-counts, kind='stable')
    errors = matrix.copy()
    np.fill_diagonal(errors, 0)
    flow = {}
    for g in _analysis.GROUPS:
        rows = errors[groups == g]
        total = int(rows.sum())
        into = {h: int(rows[:, groups == h].sum()) for h in _analysis.GROUPS}
        flow[g] = dict(errors=total, into=into,
                       share={h: _share(into[h], total) for h in _analysis.GROUPS})
    non_head = errors[groups != 'many']
    tests = matrix.sum(1)
    names = [str(i) for i in range(num_classes)] if names is None else [str(n) for n in names]
    return dict(
        many_thr=many_thr, few_thr=few_thr, classes=names,
        train_counts=counts.tolist(), groups=[str(g) for g in groups],
        order=order.tolist(), matrix=matrix.tolist(),
        sorted_matrix=matrix[order][:, order].tolist(),
        recall=[None if t == 0 else float(matrix[c, c]) / t for c, t in enumerate(tests)],
        error_flow=flow, tail_errors_into_head=flow['few']['share']['many'],
        non_head_errors_into_head=_share(int(non_head[:, groups == 'many'].sum()),
                                         int(non_head.sum())))


def plot(summary: dict, out: str, title: str = '', formats=('png', )):
    import matplotlib.pyplot as plt
    order = summary['order']
    matrix = np.asarray(summary['sorted_matrix'], dtype=float)
    rows = matrix.sum(1, keepdims=True)
    norm = np.divide(matrix * 100, rows, out=np.zeros_like(matrix), where=rows > 0)
    size = len(order)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw=dict(width_ratios=[1.4, 1],
                                                                   wspace=0.45))
    ax = axes[0]
    image = ax.imshow(norm, cmap='Blues', vmin=0, vmax=100)
    fig.colorbar(image, ax=ax, fraction=0.046, label='% of the true class')
    if size <= 20:
        ticks = [f"{summary['classes'][c]} ({summary['train_counts'][c]})" for c in order]
        ax.set_xticks(range(size), ticks, rotation=90, fontsize=7)
        ax.set_yticks(range(size), ticks, fontsize=7)
        for i in range(size):
            for j in range(size):
                if matrix[i, j]:
                    ax.text(j, i, int(matrix[i, j]), ha='center', va='center', fontsize=6,
                            color='white' if norm[i, j] > 50 else 'black')
    groups = [summary['groups'][c] for c in order]
    for k in range(1, size):
        if groups[k] != groups[k - 1]:
            ax.axhline(k - 0.5, color='red', lw=1)
            ax.axvline(k - 0.5, color='red', lw=1)
    ax.set_xlabel('predicted class (training images)')
    ax.set_ylabel('true class (training images)')
    ax.set_title(f'{title} confusion, most to least frequent'.strip())

    ax = axes[1]
    flow = summary['error_flow']
    bottom = np.zeros(3)
    for k, h in enumerate(_analysis.GROUPS):
        shares = np.array([(flow[g]['share'][h] or 0.0) * 100 for g in _analysis.GROUPS])
        ax.bar(_analysis.GROUPS, shares, bottom=bottom, color=f'C{k}', label=f'into {h}')
        bottom += shares
    for k, g in enumerate(_analysis.GROUPS):
        ax.text(k, 101, f"{flow[g]['errors']} errors", ha='center', fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_xlabel('true group')
    ax.set_ylabel('% of the group\'s errors')
    tail = summary['tail_errors_into_head']
    ax.set_title('where the errors land'
                 + ('' if tail is None else f' (few -> many: {tail * 100:.0f}%)'))
    ax.legend(fontsize=8, loc='lower right')
    return _analysis.save(fig, summary, out, formats)


def analyze(cfg_path, ckpt, cfg_options=None, many_thr=None, few_thr=None) -> dict:
    run = _analysis.evaluate_checkpoint(cfg_path, ckpt, cfg_options)
    many_thr, few_thr = _analysis.shot_thresholds(run['cfg'], many_thr, few_thr)
    return summarize(run['labels'], run['preds'], run['counts'], run['names'], many_thr,
                     few_thr)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='output prefix (no extension)')
    parser.add_argument('--title', default='', help='a name for the run in the title')
    parser.add_argument('--svg', action='store_true', help='also write an SVG')
    parser.add_argument('--many-thr', type=float,
                        help="default: the config's ShotAccuracy's, else 100")
    parser.add_argument('--few-thr', type=float, help="default: the config's, else 20")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    summary = analyze(args.config, args.checkpoint, args.cfg_options, args.many_thr,
                      args.few_thr)
    paths = plot(summary, args.out, args.title, ('png', 'svg') if args.svg else ('png', ))
    print('\n'.join(paths))
    return summary


if __name__ == '__main__':
    main()
