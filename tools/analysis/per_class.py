"""Per-class accuracy of one or more runs against the training images per class, the per-class
gain of each run over the first, and the many/medium/few accuracy over the evaluations.

    python tools/analysis/per_class.py RUN [RUN ...] [--labels CE DBM-BS] \\
        --out work_dirs/analysis/per_class [--svg]

A RUN is one of

* a **work dir**: its newest ``per_class/<epoch_N|iter_N>.json`` (``--eval test`` picks
  ``per_class/test.json``), written by ``ShotAccuracy(per_class=True)``, and the ``lt/*`` values
  of its ``<timestamp>/vis_data/scalars.json`` for the curves;
* a **per-class JSON** written by ``ShotAccuracy(per_class=True)`` (no curves);
* a **config and a checkpoint**, two arguments ``CONFIG.py CKPT.pth``: the test split is
  evaluated here with ``ShotAccuracy`` (no curves).

Writes ``<out>.png`` (and ``.svg``): left, each class's accuracy against its training images
(log x) with the many/medium/few-shot bands of ``ShotAccuracy``'s thresholds; middle, each later
run's accuracy minus the first run's per class (classes from the most to the least frequent);
right, ``lt/many``, ``lt/medium``, ``lt/few`` over the evaluations of the work-dir runs.
``<out>.json`` holds every plotted number (per run: the classes, the curves; per pair: the
per-class gains and their group means).
"""
import argparse
import glob
import json
import os.path as osp
import re
import sys
import tempfile
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import _analysis  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from mmltr.evaluation.metrics import ShotAccuracy  # noqa: E402

CURVE_KEYS = ('many', 'medium', 'few')
ENABLE_HINT = ("enable it with val_evaluator=dict(type='ShotAccuracy', per_class=True) (and the "
               'same in test_evaluator), or pass the config and a checkpoint of the run instead.')


def read_per_class_json(path: str) -> dict:
    """A ``ShotAccuracy`` per-class JSON, checked."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get('classes'), list):
        raise ValueError(f'{path} is not a per-class JSON of ShotAccuracy (no "classes" list); '
                         + ENABLE_HINT)
    for key in ('train_count', 'accuracy', 'group'):
        if any(key not in c for c in data['classes']):
            raise ValueError(f'{path}: a class entry has no "{key}".')
    return data


def _eval_order(path: str):
    """Sort key of ``per_class/<name>.json``: epoch/iter numbers in order, then the rest."""
    name = osp.splitext(osp.basename(path))[0]
    match = re.fullmatch(r'(epoch|iter)_(\d+)', name)
    return (1, int(match.group(2)), name) if match else (0, 0, name)


def find_per_class(work_dir: str, eval_name: Optional[str] = None) -> str:
    """The per-class JSON of ``work_dir``: ``per_class/<eval_name>.json``, else the newest
    ``epoch_N``/``iter_N`` (or the only other) file."""
    folder = osp.join(work_dir, 'per_class')
    if eval_name:
        path = osp.join(folder, f'{eval_name}.json')
        if not osp.isfile(path):
            found = sorted(osp.basename(p) for p in glob.glob(osp.join(folder, '*.json')))
            raise FileNotFoundError(f'--eval {eval_name}: no {path} (found: {found or "none"}).')
        return path
    paths = sorted(glob.glob(osp.join(folder, '*.json')), key=_eval_order)
    if not paths:
        raise FileNotFoundError(f'the run in {work_dir} has no per-class data ({folder}/*.json): '
                                + ENABLE_HINT)
    return paths[-1]


def read_curves(work_dir: str) -> Optional[dict]:
    """``lt/top1``, ``lt/many``, ``lt/medium``, ``lt/few`` per evaluation step from the work
    dir's ``*/vis_data/scalars.json`` (several timestamps, e.g. a resumed run, are merged; a later
    one wins a step); None when there is none. A group left out (empty) is None at that step."""
    by_step: Dict[int, dict] = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                if not any(k.startswith('lt/') for k in record):
                    continue
                by_step[int(record['step'])] = {k: record.get(f'lt/{k}')
                                                for k in ('top1', ) + CURVE_KEYS}
    if not by_step:
        return None
    steps = sorted(by_step)
    curves = {'step': steps}
    for key in ('top1', ) + CURVE_KEYS:
        curves[key] = [by_step[s][key] for s in steps]
    return curves


def evaluate(cfg_path: str, ckpt: str, cfg_options=None, many_thr=None, few_thr=None) -> dict:
    """The per-class JSON that ``ShotAccuracy`` writes for the checkpoint on the test split
    (thresholds: the given ones, else the config's, see :func:`_analysis.shot_thresholds`)."""
    run = _analysis.evaluate_checkpoint(cfg_path, ckpt, cfg_options)
    many_thr, few_thr = _analysis.shot_thresholds(run['cfg'], many_thr, few_thr)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'per_class.json')
        metric = ShotAccuracy(many_thr, few_thr, class_counts=run['counts'].tolist(),
                              per_class=True, dump_per_class=path)
        metric.dataset_meta = run['loader'].dataset.metainfo
        metric.process(None, [dict(gt_label=int(g), pred_label=int(p))
                              for g, p in zip(run['labels'], run['preds'])])
        metric.compute_metrics(metric.results)
        return read_per_class_json(path)


def load_runs(items: List[str], eval_name=None, cfg_options=None, many_thr=None,
              few_thr=None) -> List[dict]:
    """Each RUN (see the module docstring) as ``dict(source, data, curves)``."""
    runs, i = [], 0
    while i < len(items):
        item = items[i]
        if item.endswith('.py'):
            if i + 1 >= len(items) or not items[i + 1].endswith(('.pth', '.pt')):
                raise ValueError(f'config {item} must be followed by its checkpoint (.pth).')
            data = evaluate(item, items[i + 1], cfg_options, many_thr, few_thr)
            runs.append(dict(source=f'{item} {items[i + 1]}', data=data, curves=None))
            i += 2
            continue
        if osp.isdir(item):
            path = find_per_class(item, eval_name)
            runs.append(dict(source=path, data=read_per_class_json(path),
                             curves=read_curves(item)))
        elif item.endswith('.json') and osp.isfile(item):
            runs.append(dict(source=item, data=read_per_class_json(item), curves=None))
        else:
            raise ValueError(f'{item} is neither a work dir, a per-class JSON nor a config '
                             '(CONFIG.py CKPT.pth).')
        i += 1
    return runs


def _accuracy(data: dict) -> np.ndarray:
    return np.array([np.nan if c['accuracy'] is None else c['accuracy']
                     for c in data['classes']], dtype=float)


def _none(values) -> list:
    return [None if v is None or np.isnan(v) else float(v) for v in values]


def summarize(runs: Dict[str, dict]) -> dict:
    """The plotted numbers: per run its classes and curves, per later run its gain over the first
    (per class, and the mean gain per group over the classes both runs evaluated)."""
    names = list(runs)
    sizes = {n: len(r['data']['classes']) for n, r in runs.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f'cannot compare runs with different numbers of classes: {sizes}.')
    first = runs[names[0]]['data']
    counts = np.array([c['train_count'] for c in first['classes']])
    groups = np.array([c['group'] for c in first['classes']])
    out = dict(order=[int(i) for i in np.argsort(-counts, kind='stable')], runs={}, gain={})
    for name, run in runs.items():
        data = run['data']
        other = np.array([c['train_count'] for c in data['classes']])
        if not np.array_equal(other, counts):
            print(f'warning: {name} has other training counts than {names[0]}; the gain uses '
                  f"{names[0]}'s groups.")
        out['runs'][name] = dict(
            source=run['source'], many_thr=data.get('many_thr'), few_thr=data.get('few_thr'),
            metrics=data.get('metrics'), curves=run['curves'],
            classes=[{k: c.get(k) for k in ('index', 'name', 'train_count', 'accuracy', 'group')}
                     for c in data['classes']])
    base = _accuracy(first)
    for name in names[1:]:
        gain = _accuracy(runs[name]['data']) - base
        per_group = {}
        for g in _analysis.GROUPS + ('all', ):
            mask = ~np.isnan(gain) & ((groups == g) if g != 'all' else True)
            per_group[g] = float(gain[mask].mean()) if mask.any() else None
        out['gain'][f'{name} - {names[0]}'] = dict(per_class=_none(gain), mean=per_group)
    return out


def plot(summary: dict, out: str, formats=('png', )):
    import matplotlib.pyplot as plt
    names = list(summary['runs'])
    first = summary['runs'][names[0]]
    counts = np.array([c['train_count'] for c in first['classes']], dtype=float)
    many_thr = first['many_thr'] if first['many_thr'] is not None else 100
    few_thr = first['few_thr'] if first['few_thr'] is not None else 20
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))

    ax = axes[0]
    positive = counts[counts > 0]
    lo, hi = positive.min() / 1.5, positive.max() * 1.5
    for (a, b), g, colour in (((lo, few_thr), 'few', '#f4cccc'),
                              ((few_thr, many_thr), 'medium', '#fff2cc'),
                              ((many_thr, hi), 'many', '#d9ead3')):
        if max(a, lo) < min(b, hi):
            ax.axvspan(max(a, lo), min(b, hi), color=colour, zorder=0)
            ax.text(np.sqrt(max(a, lo) * min(b, hi)), 102, g, ha='center', fontsize=8)
    for r, name in enumerate(names):
        acc = np.array([np.nan if c['accuracy'] is None else c['accuracy']
                        for c in summary['runs'][name]['classes']])
        keep = counts > 0
        ax.scatter(counts[keep], acc[keep], color=f'C{r}', label=name, s=20, zorder=2)
    ax.set_xscale('log')
    ax.set_xlim(lo, hi)
    ax.set_ylim(-5, 108)
    ax.set_xlabel('training images per class')
    ax.set_ylabel('test accuracy (%)')
    ax.set_title('per-class accuracy')
    ax.legend(fontsize=8, loc='lower right')

    ax = axes[1]
    order = summary['order']
    if summary['gain']:
        width = 0.8 / len(summary['gain'])
        for k, (pair, gain) in enumerate(summary['gain'].items()):
            values = [gain['per_class'][i] for i in order]
            xs = np.arange(len(order)) + (k - (len(summary['gain']) - 1) / 2) * width
            ax.bar(xs, [np.nan if v is None else v for v in values], width, label=pair,
                   color=f'C{k + 1}')
        ax.axhline(0, color='k', lw=0.8)
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, 'give two runs to see the gain', ha='center', transform=ax.transAxes)
    names_ = [c['name'] if c['name'] is not None else str(c['index']) for c in first['classes']]
    if len(order) <= 20:
        ax.set_xticks(range(len(order)), [f'{names_[i]}\n{int(counts[i])}' for i in order],
                      fontsize=7, rotation=45)
    ax.set_xlabel('class (training images), most to least frequent')
    ax.set_ylabel('accuracy gain (points)')
    ax.set_title('per-class gain over ' + names[0])

    ax = axes[2]
    styles = dict(many='-', medium='--', few=':')
    drawn = False
    for r, name in enumerate(names):
        curves = summary['runs'][name]['curves']
        if not curves:
            continue
        for key in CURVE_KEYS:
            ys = [np.nan if v is None else v for v in curves[key]]
            ax.plot(curves['step'], ys, styles[key], marker='o', color=f'C{r}',
                    label=f'{name} {key}')
            drawn = True
    if drawn:
        ax.set_xlabel('epoch / iteration of the evaluation')
        ax.set_ylabel('accuracy (%)')
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, 'curves need a work dir\n(vis_data/scalars.json)', ha='center',
                transform=ax.transAxes)
    ax.set_title('lt/many, lt/medium, lt/few')
    return _analysis.save(fig, summary, out, formats)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', metavar='RUN',
                        help='work dir, per-class JSON, or CONFIG.py CKPT.pth')
    parser.add_argument('--labels', nargs='+', help='names of the runs in the legend')
    parser.add_argument('--eval', dest='eval_name',
                        help='per_class/<EVAL>.json of work dirs (e.g. test, epoch_100); '
                        'default: the newest epoch/iter')
    parser.add_argument('--out', required=True, help='output prefix (no extension)')
    parser.add_argument('--svg', action='store_true', help='also write an SVG')
    parser.add_argument('--many-thr', type=float,
                        help="for CONFIG CKPT runs; default: the config's ShotAccuracy's (JSONs "
                        'carry their own)')
    parser.add_argument('--few-thr', type=float)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    runs = load_runs(args.runs, args.eval_name, args.cfg_options, args.many_thr, args.few_thr)
    labels = args.labels or [f'run{i}' for i in range(len(runs))]
    if len(labels) != len(runs) or len(set(labels)) != len(labels):
        raise SystemExit(f'--labels: need {len(runs)} distinct names, got {labels}.')
    summary = summarize(dict(zip(labels, runs)))
    paths = plot(summary, args.out, ('png', 'svg') if args.svg else ('png', ))
    print('\n'.join(paths))
    return summary


if __name__ == '__main__':
    main()
