"""The margins of the loss in a config against its training counts: DBM's class and instance
margins, LDAM's margins, GHM-CWAP's learned per-class regions and weights.

    python tools/analysis/margins.py CONFIG [--checkpoint CKPT] [--class-counts N1 N2 ...] \\
        --out work_dirs/analysis/margins [--svg]

* ``DBMLoss`` (Son et al., Difficulty-aware Balancing Margin Loss for Long-tailed Recognition,
  AAAI 2025, https://arxiv.org/abs/2412.15477, Fig. 2): left, the class margin
  ``m_C(c) = K (n_c / n_min)^(-tau)`` against the training images ``n_c`` (log x) with the range of
  the instance margin ``m_C(c) (1 + lambda_inst d)``, ``d = (1 - cos_y) / 2`` in [0, 1], of a hard
  sample (an easy one gets ``m_C``); middle, the margin against the difficulty ``d`` per class;
  right, for reference, LDAM's margins on the same counts (``LDAMLoss`` defaults; a cosine
  margin, not an angle).
* ``LDAMLoss`` (Cao et al., Learning Imbalanced Datasets with Label-Distribution-Aware Margin
  Loss, NeurIPS 2019, https://arxiv.org/abs/1906.07413): ``m_c`` against ``n_c``.
* ``GHMCWAPLoss``: learned during training, so ``--checkpoint`` is needed: left, the weight
  ``W_{c,i}`` of each gradient-norm region ``i`` over ``g = 1 - p_y`` per class; right, each
  class's region edges (classes from the most to the least frequent).

The margins are read from the loss module itself (its ``class_margins`` buffer, its
``region_edges`` and ``weight_table``), built from the config with the training counts of, in
order: ``--class-counts``, the checkpoint's loss, the config's training set. ``<out>.json`` holds
every plotted number.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import _analysis  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmpretrain.registry import DATASETS, MODELS  # noqa: E402

from mmltr.datasets.utils import get_class_counts  # noqa: E402
from mmltr.models.losses import DBMLoss, GHMCWAPLoss, LDAMLoss  # noqa: E402

DIFFICULTY = np.linspace(0.0, 1.0, 21)
SUPPORTED = (DBMLoss, LDAMLoss, GHMCWAPLoss)


def _check_supported(loss) -> None:
    if not isinstance(loss, SUPPORTED):
        raise ValueError('margins.py draws DBMLoss, LDAMLoss and GHMCWAPLoss; the config\'s '
                         f'loss is {type(loss).__name__}.')


def build_loss(cfg, checkpoint: Optional[str] = None, class_counts: Optional[Sequence] = None):
    """The config's head loss with its training counts; from the checkpoint's model when given
    (strict match, see :func:`_analysis.check_state_dict`)."""
    if checkpoint:
        model = _analysis.build_model(cfg, checkpoint)
        loss = getattr(getattr(model, 'head', None), 'loss_module', None)
        if loss is None:
            raise ValueError(f'{type(model).__name__} has no head.loss_module.')
    else:
        loss_cfg = cfg.model.get('head', {}).get('loss')
        if loss_cfg is None:
            raise ValueError('the config has no model.head.loss.')
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
            loss = MODELS.build(loss_cfg)
    _check_supported(loss)
    if class_counts is not None:
        loss.set_class_counts(class_counts)
    elif getattr(loss, 'needs_class_counts', False):
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
            dataset = DATASETS.build(cfg.train_dataloader.dataset)
        loss.set_class_counts(get_class_counts(dataset).tolist())
    return loss


def dbm_margins(loss: DBMLoss) -> dict:
    """DBM's class margins (the loss's buffer), the instance-margin range of hard samples and
    the margin over the difficulty grid."""
    m_c = loss.class_margins.double().numpy()
    return dict(loss='DBMLoss', K=loss.K, tau=loss.tau, lambda_inst=loss.lambda_inst,
                class_counts=loss.class_counts.numpy().tolist(), class_margin=m_c.tolist(),
                instance_margin_max=(m_c * (1 + loss.lambda_inst)).tolist(),
                difficulty=DIFFICULTY.tolist(),
                hard_margin=(m_c[:, None] * (1 + loss.lambda_inst * DIFFICULTY)).tolist())


def ldam_margins(loss: LDAMLoss) -> dict:
    return dict(loss='LDAMLoss', max_margin=loss.max_margin,
                class_counts=loss.class_counts.numpy().tolist(),
                class_margin=loss.class_margins.double().numpy().tolist())


def ghm_regions(loss: GHMCWAPLoss) -> dict:
    if not bool(loss.has_hist):
        print('warning: the GHM-CWAP loss has no histogram yet (uniform regions, weights 1): '
              'use a checkpoint saved after the first training epoch.')
    return dict(loss='GHMCWAPLoss', class_counts=loss.class_counts.numpy().tolist(),
                region_edges=loss.region_edges.numpy().tolist(),
                weight_table=loss.weight_table.double().numpy().tolist(),
                updates=int(loss.num_updates))


def summarize(loss) -> dict:
    if isinstance(loss, DBMLoss):
        out = dbm_margins(loss)
        reference = LDAMLoss()
        reference.set_class_counts(loss.class_counts.tolist())
        out['ldam_reference'] = ldam_margins(reference)
        return out
    if isinstance(loss, LDAMLoss):
        return ldam_margins(loss)
    _check_supported(loss)
    return ghm_regions(loss)


def _vs_counts(ax, counts, margins, label, colour, upper=None):
    order = np.argsort(counts)
    ax.plot(counts[order], margins[order], 'o-', color=colour, label=label, ms=4)
    if upper is not None:
        ax.fill_between(counts[order], margins[order], upper[order], color=colour, alpha=0.2,
                        label='instance margin range (hard samples)')
    ax.set_xscale('log')
    ax.set_xlabel('training images per class')


def plot(summary: dict, out: str, formats=('png', )):
    import matplotlib.pyplot as plt
    from matplotlib import cm
    counts = np.asarray(summary['class_counts'], dtype=float)
    kind = summary['loss']
    shade = cm.viridis(np.linspace(0, 0.9, len(counts)))  # most frequent first
    rank = np.empty(len(counts), dtype=int)
    rank[np.argsort(-counts, kind='stable')] = np.arange(len(counts))
    if kind == 'DBMLoss':
        fig, axes = plt.subplots(1, 3, figsize=(15, 4))
        m_c = np.asarray(summary['class_margin'])
        _vs_counts(axes[0], counts, m_c, 'class margin m_C', 'C0',
                   np.asarray(summary['instance_margin_max']))
        axes[0].set_ylabel('margin (radians, added to the angle)')
        axes[0].set_title(f"DBM: K={summary['K']}, tau={summary['tau']}")
        axes[0].legend(fontsize=8)
        for c, row in enumerate(summary['hard_margin']):
            axes[1].plot(summary['difficulty'], row, color=shade[rank[c]],
                         label=f'n={int(counts[c])}' if len(counts) <= 12 else None)
        axes[1].set_xlabel('difficulty d = (1 - cos_y) / 2 of a hard sample')
        axes[1].set_ylabel('margin (radians)')
        axes[1].set_title(f"DBM margin vs difficulty (lambda_inst={summary['lambda_inst']})")
        if len(counts) <= 12:
            axes[1].legend(fontsize=7, ncol=2)
        ref = summary['ldam_reference']
        _vs_counts(axes[2], counts, np.asarray(ref['class_margin']), 'LDAM', 'C1')
        axes[2].set_ylabel('margin (subtracted from the cosine)')
        axes[2].set_title(f"LDAM on the same counts (max_margin={ref['max_margin']})")
    elif kind == 'LDAMLoss':
        fig, ax = plt.subplots(1, 1, figsize=(6, 4))
        _vs_counts(ax, counts, np.asarray(summary['class_margin']), 'LDAM', 'C1')
        ax.set_ylabel('margin (subtracted from the cosine)')
        ax.set_title(f"LDAM: max_margin={summary['max_margin']}")
    else:
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
        edges = np.asarray(summary['region_edges'])
        weights = np.asarray(summary['weight_table'])
        for c in np.argsort(-counts, kind='stable'):
            axes[0].stairs(weights[c], edges[c], color=shade[rank[c]],
                           label=f'n={int(counts[c])}' if len(counts) <= 12 else None)
            axes[1].plot(edges[c], np.full(edges.shape[1], rank[c]), '|', color=shade[rank[c]],
                         ms=8)
        axes[0].set_yscale('log')
        axes[0].set_xlabel('gradient norm g = 1 - p_y')
        axes[0].set_ylabel('intra-class weight W')
        axes[0].set_title(f"GHM-CWAP weights per region (after {summary['updates']} updates)")
        if len(counts) <= 12:
            axes[0].legend(fontsize=7, ncol=2)
        axes[1].set_yticks(range(len(counts)),
                           [f'{int(n)}' for n in counts[np.argsort(-counts, kind='stable')]],
                           fontsize=7 if len(counts) <= 30 else 4)
        axes[1].invert_yaxis()
        axes[1].set_xlabel('gradient norm g = 1 - p_y')
        axes[1].set_ylabel('class (training images)')
        axes[1].set_title('GHM-CWAP region edges')
    return _analysis.save(fig, summary, out, formats)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='take the loss (and its counts) from this '
                        'checkpoint; needed for GHM-CWAP')
    parser.add_argument('--class-counts', nargs='+', type=int,
                        help='training images per class (default: the checkpoint\'s or the '
                        "config's training set)")
    parser.add_argument('--out', required=True, help='output prefix (no extension)')
    parser.add_argument('--svg', action='store_true', help='also write an SVG')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = _analysis.load_config(args.config, args.cfg_options)
    loss_type = str(cfg.model.get('head', {}).get('loss', {}).get('type', ''))
    if 'GHMCWAP' in loss_type and not args.checkpoint:
        raise SystemExit('margins.py: GHM-CWAP\'s regions and weights are learned during '
                         'training; pass --checkpoint CKPT of a run of this config.')
    summary = summarize(build_loss(cfg, args.checkpoint, args.class_counts))
    paths = plot(summary, args.out, ('png', 'svg') if args.svg else ('png', ))
    print('\n'.join(paths))
    return summary


if __name__ == '__main__':
    main()
