"""Angles between test features and their class centres / classifier weights, and the Fisher
criterion, per many/medium/few group; one or two checkpoints side by side.

    python tools/analysis/feature_angles.py CONFIG CKPT [--compare CONFIG2 CKPT2] \\
        [--labels CE DBM-BS] --out work_dirs/analysis/feature_angles [--svg]

Writes ``<out>.png`` (and ``.svg``): left, the distribution of the angle (degrees) of each test
sample's pooled feature to its class centre, per group and run, with quartiles (as Son et al.,
Difficulty-aware Balancing Margin Loss for Long-tailed Recognition, AAAI 2025,
https://arxiv.org/abs/2412.15477, Fig. 4); middle, the same to the sample's classifier weight;
right, the Fisher criterion per group (that paper's Table 6). ``<out>.json`` holds every plotted
number.

Definitions (features ``x_i`` are L2-normalised first, the space of a cosine classifier):

* class centre ``mu_c`` = mean of the normalised test features of class ``c``; the angle of
  sample ``i`` is ``arccos(cos(x_i, mu_c))``; to the classifier weight ``arccos(cos(x_i, w_c))``
  with ``w_c`` the head's ``fc.weight`` row of its class.
* Fisher criterion of a group ``G`` of classes (on the samples of ``G``)::

      J(G) = tr(S_B) / tr(S_W),
      S_W = sum_{c in G} sum_{i: y_i = c} (x_i - mu_c)(x_i - mu_c)^T,
      S_B = sum_{c in G} n_c (mu_c - mu_G)(mu_c - mu_G)^T,

  with ``n_c`` the test samples of ``c`` and ``mu_G`` the mean of the group's samples. Larger is
  more separable. ``tr(S_W)`` is the summed squared distance of the samples to their centres and
  ``tr(S_B)`` the count-weighted squared spread of the centres; ``all`` uses every class.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import _analysis  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = np.clip(np.sum(_unit(a) * _unit(b), axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def class_centres(features: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, D) means of the normalised features per class (NaN rows for classes without one)."""
    x = _unit(features)
    centres = np.full((num_classes, x.shape[1]), np.nan)
    for c in np.unique(labels):
        centres[c] = x[labels == c].mean(0)
    return centres


def angles_to_centres(features, labels, num_classes: int) -> np.ndarray:
    """Degrees between each (normalised) feature and its class centre."""
    return _angle(features, class_centres(features, labels, num_classes)[labels])


def angles_to_weights(features, labels, weights) -> np.ndarray:
    """Degrees between each feature and the classifier weight of its class."""
    return _angle(features, np.asarray(weights, dtype=np.float64)[labels])


def fisher_criterion(features, labels, classes=None) -> Optional[float]:
    """``tr(S_B) / tr(S_W)`` over the samples of ``classes`` (all when None), see the module
    docstring; None when fewer than two classes have samples or ``S_W`` vanishes."""
    x, labels = _unit(features), np.asarray(labels)
    if classes is not None:
        keep = np.isin(labels, list(classes))
        x, labels = x[keep], labels[keep]
    present = np.unique(labels)
    if len(present) < 2:
        return None
    mu = x.mean(0)
    within = between = 0.0
    for c in present:
        xc = x[labels == c]
        mc = xc.mean(0)
        within += float(((xc - mc)**2).sum())
        between += len(xc) * float(((mc - mu)**2).sum())
    return between / within if within > 0 else None


def _quartiles(values: np.ndarray) -> Optional[Dict[str, float]]:
    if values.size == 0:
        return None
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return dict(q1=float(q1), median=float(q2), q3=float(q3), mean=float(values.mean()),
                count=int(values.size))


def summarize(features, labels, counts, weights=None, many_thr=100, few_thr=20) -> dict:
    """Per group: the angle quartiles (to centres, to weights) and the Fisher criterion."""
    counts = np.asarray(counts)
    groups = _analysis.groups_of(counts, many_thr, few_thr)
    to_centre = angles_to_centres(features, labels, len(counts))
    to_weight = None if weights is None else angles_to_weights(features, labels, weights)
    out = {'num_classes': len(counts), 'angles_to_centre': {}, 'angles_to_weight': {},
           'fisher': {}}
    for name in _analysis.GROUPS + ('all', ):
        classes = np.arange(len(counts)) if name == 'all' else np.flatnonzero(groups == name)
        mask = np.isin(labels, classes)
        out['angles_to_centre'][name] = _quartiles(to_centre[mask])
        out['angles_to_weight'][name] = (None if to_weight is None else
                                         _quartiles(to_weight[mask]))
        out['fisher'][name] = fisher_criterion(features, labels, classes)
    out['raw'] = dict(groups=[str(g) for g in groups[labels]], to_centre=to_centre.tolist(),
                      to_weight=None if to_weight is None else to_weight.tolist())
    return out


def analyze(cfg_path, ckpt, cfg_options=None, many_thr=100, few_thr=20) -> dict:
    run = _analysis.evaluate_checkpoint(cfg_path, ckpt, cfg_options, features=True)
    fc = getattr(getattr(run['model'], 'head', None), 'fc', None)
    weights = None if fc is None else fc.weight.detach().double().numpy()
    return summarize(run['features'], run['labels'], run['counts'], weights, many_thr, few_thr)


def plot(results: Dict[str, dict], out: str, formats=('png', )):
    import matplotlib.pyplot as plt
    names = list(results)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    width = 0.8 / len(names)
    for k, key in enumerate(('to_centre', 'to_weight')):
        ax = axes[k]
        for r, name in enumerate(names):
            raw = results[name]['raw']
            if raw[key] is None:
                continue
            values = np.asarray(raw[key])
            groups = np.asarray(raw['groups'])
            data = [values[groups == g] for g in _analysis.GROUPS]
            pos = [g + (r - (len(names) - 1) / 2) * width for g in range(3)]
            present = [(p, d) for p, d in zip(pos, data) if d.size]
            if not present:
                continue
            parts = ax.violinplot([d for _, d in present], [p for p, _ in present],
                                  widths=width * 0.9, showextrema=False,
                                  quantiles=[[0.25, 0.5, 0.75]] * len(present))
            for body in parts['bodies']:
                body.set_facecolor(f'C{r}')
                body.set_alpha(0.6)
            ax.plot([], [], color=f'C{r}', label=name)
        ax.set_xticks(range(3), _analysis.GROUPS)
        ax.set_ylabel('angle (degrees)')
        ax.set_title('feature vs class centre' if key == 'to_centre' else
                     'feature vs classifier weight')
        ax.legend(fontsize=8)
    ax = axes[2]
    labels = _analysis.GROUPS + ('all', )
    for r, name in enumerate(names):
        vals = [results[name]['fisher'][g] for g in labels]
        xs = np.arange(len(labels)) + (r - (len(names) - 1) / 2) * width
        ax.bar(xs, [np.nan if v is None else v for v in vals], width, label=name, color=f'C{r}')
    ax.set_xticks(range(len(labels)), labels)
    ax.set_title('Fisher criterion tr(S_B)/tr(S_W)')
    ax.legend(fontsize=8)
    data = {name: {k: v for k, v in res.items() if k != 'raw'} for name, res in results.items()}
    return _analysis.save(fig, data, out, formats)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--compare', nargs=2, metavar=('CONFIG', 'CKPT'),
                        help='a second run, drawn next to the first')
    parser.add_argument('--labels', nargs='+', help='names of the runs in the legend')
    parser.add_argument('--out', required=True, help='output prefix (no extension)')
    parser.add_argument('--svg', action='store_true', help='also write an SVG')
    parser.add_argument('--many-thr', type=float, default=100)
    parser.add_argument('--few-thr', type=float, default=20)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    runs = [(args.config, args.checkpoint)] + ([tuple(args.compare)] if args.compare else [])
    labels = args.labels or [osp.splitext(osp.basename(c))[0] for c, _ in runs]
    if len(labels) != len(runs):
        raise SystemExit(f'--labels: {len(labels)} names for {len(runs)} runs.')
    results = {}
    for label, (cfg_path, ckpt) in zip(labels, runs):
        results[label] = analyze(cfg_path, ckpt, args.cfg_options, args.many_thr, args.few_thr)
    num_classes = {name: r['num_classes'] for name, r in results.items()}
    if len(set(num_classes.values())) > 1:
        raise ValueError(f'cannot compare runs with different numbers of classes: {num_classes}.')
    paths = plot(results, args.out, ('png', 'svg') if args.svg else ('png', ))
    print('\n'.join(paths))
    return results


if __name__ == '__main__':
    main()
