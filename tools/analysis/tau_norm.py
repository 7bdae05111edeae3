"""τ-normalisation of a trained linear classifier, with τ chosen on the validation split.

Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition, ICLR 2020,
https://arxiv.org/abs/1910.09217: every class's weight vector becomes ``W_c / ||W_c||^τ`` (bias
and LWS scales kept; τ = 0 is the model as trained).

    python tools/analysis/tau_norm.py CONFIG CKPT [--taus 0 2 0.1] [--bake OUT.pth] \\
        [--out tau_norm.json] [--cfg-options ...]
    python tools/analysis/tau_norm.py CONFIG CKPT --tau 0.8 [--bake OUT.pth]

The features of the validation split (``val_dataloader``) are computed once, τ is swept over
``--taus START STOP STEP`` and the τ with the best validation top-1 is chosen (the smallest on a
tie). Only then is the test split (``test_dataloader``) evaluated, at τ = 0 and at the chosen τ,
with top-1 and many/medium/few (``ShotAccuracy``, the training counts of the config). τ is never
chosen on test data: a config whose validation split is its test split (CIFAR-LT, the quickstart
stage-1 config) is refused unless ``--tau`` gives τ (chosen elsewhere).

The chosen τ can be used in two ways:

* ``--bake OUT.pth`` writes the checkpoint with the classifier weight τ-normalised: the same
  config then tests it (``tools/test.py CONFIG OUT.pth``) with exactly the reported numbers;
* the head option: ``DecoupledClsHead(tau=...)`` applies τ in eval mode, e.g.
  ``tools/test.py CONFIG CKPT --cfg-options model.head.type=DecoupledClsHead model.head.tau=T``
  for a ``LinearClsHead`` model (the printed command).

A cosine classifier (``CosineClsHead``) is refused: it divides every class weight by its norm,
so its predictions do not depend on the norms τ rescales. Other heads without a linear ``fc``
are refused too.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import _analysis  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmpretrain.models.heads import LinearClsHead  # noqa: E402

from mmltr.evaluation.metrics import ShotAccuracy  # noqa: E402
from mmltr.models.heads import DecoupledClsHead, decoupled_logits, tau_normalize  # noqa: E402
from mmltr.models.heads.decoupled_head import check_tau  # noqa: E402
from mmltr.utils import unwrap_model  # noqa: E402

NO_VAL = ('has no validation split separate from its test split (val_dataloader.dataset is '
          'test_dataloader.dataset): tau_norm.py never selects τ on test data. Pass --tau T with '
          'a τ chosen elsewhere (e.g. on a held-out split), or give the config a val_dataloader '
          'of its own.')


def linear_classifier(model) -> Dict[str, Optional[torch.Tensor]]:
    """``weight``, ``bias`` and ``scales`` of the model's linear classifier; a ``ValueError`` for
    a head that has none (a cosine classifier included)."""
    head = unwrap_model(getattr(model, 'head', None))
    name = type(head).__name__
    if hasattr(head, 'fc') and getattr(head, 'outputs', None) == 'cosine':
        raise ValueError(f'tau_norm.py: {name} is a cosine classifier: it divides every class '
                         'weight by its norm, so its predictions do not depend on the weight '
                         'norms that τ-normalisation rescales (it is already τ = 1). Use a model '
                         'with a linear classifier (LinearClsHead or DecoupledClsHead).')
    if type(head) not in (LinearClsHead, DecoupledClsHead) or \
            not isinstance(getattr(head, 'fc', None), torch.nn.Linear):
        raise ValueError(f'tau_norm.py: the model\'s head is {name}, not a linear classifier '
                         '(LinearClsHead or DecoupledClsHead with an nn.Linear fc): there are no '
                         'class weight vectors to τ-normalise.')
    if getattr(head, 'tau', 0.0):
        raise ValueError(f'tau_norm.py: the config\'s head already applies tau={head.tau} in '
                         'eval mode; run the tool with model.head.tau=0 (--cfg-options).')
    return dict(weight=head.fc.weight.detach(), bias=None if head.fc.bias is None else
                head.fc.bias.detach(), scales=getattr(head, 'scales', None))


def has_own_val_split(cfg) -> bool:
    """Whether ``val_dataloader`` exists and reads another dataset than ``test_dataloader``."""
    val, test = cfg.get('val_dataloader'), cfg.get('test_dataloader')
    if not val or not test:
        return bool(val)
    return val.get('dataset') != test.get('dataset')


def split_features(model, cfg, field: str) -> dict:
    """Labels and float32 pooled features (the head's input) of the ``field`` loader."""
    loader = _analysis.test_loader(cfg, field=field)
    run = _analysis.run_test_split(model, loader, features=True)
    return dict(labels=run['labels'], features=torch.from_numpy(run['features']).float(),
                counts=_analysis.train_counts(loader), meta=loader.dataset.metainfo)


def predictions(split: dict, classifier: dict, tau: float) -> np.ndarray:
    with torch.no_grad():
        logits = decoupled_logits(split['features'], classifier['weight'], classifier['bias'],
                                  classifier['scales'], tau)
    return logits.argmax(dim=1).numpy()


def shot_metrics(split: dict, preds: np.ndarray, many_thr: float, few_thr: float) -> dict:
    """``ShotAccuracy``'s top1/many/medium/few/mean_class (None for an empty group)."""
    metric = ShotAccuracy(many_thr, few_thr, class_counts=split['counts'].tolist())
    metric.dataset_meta = split['meta']
    metric.process(None, [dict(gt_label=int(g), pred_label=int(p))
                          for g, p in zip(split['labels'], preds)])
    out = metric.compute_metrics(metric.results)
    return {k: out[k] for k in ('top1', 'many', 'medium', 'few', 'mean_class')}


def sweep_values(start: float, stop: float, step: float) -> np.ndarray:
    if step <= 0 or stop < start or start < 0:
        raise ValueError(f'--taus START STOP STEP needs 0 <= START <= STOP and STEP > 0, got '
                         f'{start} {stop} {step}.')
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    return np.round(start + step * np.arange(n), 10)


def run(cfg_path: str, ckpt: str, taus=(0.0, 2.0, 0.1), tau: Optional[float] = None,
        cfg_options: Optional[dict] = None) -> dict:
    """The sweep on the validation split, the chosen τ, the test metrics at τ = 0 and at it."""
    cfg = _analysis.load_config(cfg_path, cfg_options)
    if tau is None and not has_own_val_split(cfg):
        raise ValueError(f'tau_norm.py: {cfg_path} ' + NO_VAL)
    model = _analysis.build_model(cfg, ckpt)
    classifier = linear_classifier(model)
    many_thr, few_thr = _analysis.shot_thresholds(cfg)
    result = dict(config=cfg_path, checkpoint=ckpt, many_thr=many_thr, few_thr=few_thr)
    if tau is None:
        val = split_features(model, cfg, 'val_dataloader')
        sweep = [dict(tau=float(t), **shot_metrics(val, predictions(val, classifier, t),
                                                  many_thr, few_thr))
                 for t in sweep_values(*taus)]
        best = max(sweep, key=lambda r: r['top1'])  # the first (smallest τ) of equal ones
        result.update(selected_on='val', sweep=sweep, tau=best['tau'])
    else:
        result.update(selected_on='given', sweep=[], tau=check_tau(tau, '--tau'))
    test = split_features(model, cfg, 'test_dataloader')
    result['test'] = {
        'tau=0': shot_metrics(test, predictions(test, classifier, 0.0), many_thr, few_thr),
        'tau': shot_metrics(test, predictions(test, classifier, result['tau']), many_thr,
                            few_thr),
    }
    result['head_type'] = type(unwrap_model(model.head)).__name__
    return result


def bake(ckpt: str, tau: float, out: str, prefix: str = 'head.fc.weight') -> None:
    """``ckpt`` with its classifier weight τ-normalised, written to ``out`` (weights and meta)."""
    checkpoint = torch.load(ckpt, map_location='cpu', weights_only=False)
    state = checkpoint.get('state_dict', checkpoint)
    key = next((k for k in (prefix, 'module.' + prefix) if k in state), None)
    if key is None:
        raise KeyError(f'tau_norm.py --bake: {ckpt} has no {prefix}.')
    state[key] = tau_normalize(state[key].float(), tau).to(state[key].dtype)
    meta = dict(checkpoint.get('meta') or {}, tau_norm=dict(tau=tau, source=ckpt))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(dict(meta=meta, state_dict=state), out)


def _fmt(value) -> str:
    return '  -  ' if value is None else f'{value:6.2f}'


def report(result: dict) -> str:
    lines = []
    if result['sweep']:
        lines.append('τ sweep on the validation split (top1 / many / medium / few):')
        for r in result['sweep']:
            mark = '  <- chosen' if r['tau'] == result['tau'] else ''
            lines.append(f"  τ={r['tau']:.2f}  " + ' '.join(
                _fmt(r[k]) for k in ('top1', 'many', 'medium', 'few')) + mark)
    how = 'chosen on val' if result['selected_on'] == 'val' else 'given'
    lines.append(f"τ = {result['tau']:g} ({how})")
    for name, key in (('test, τ = 0 (as trained)', 'tau=0'),
                      (f"test, τ = {result['tau']:g}", 'tau')):
        m = result['test'][key]
        lines.append(f'{name}: top1 {_fmt(m["top1"])}  many {_fmt(m["many"])}  medium '
                     f'{_fmt(m["medium"])}  few {_fmt(m["few"])}')
    option = ('model.head.type=DecoupledClsHead model.head.tau=' if result['head_type']
              == 'LinearClsHead' else 'model.head.tau=') + f"{result['tau']:g}"
    lines.append(f"at test time: tools/test.py {result['config']} {result['checkpoint']} "
                 f'--cfg-options {option}')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--taus', nargs=3, type=float, default=(0.0, 2.0, 0.1),
                       metavar=('START', 'STOP', 'STEP'),
                       help='the τ values swept on the validation split (default 0 2 0.1)')
    group.add_argument('--tau', type=float, help='use this τ, no sweep (required when the '
                       'config has no separate validation split)')
    parser.add_argument('--bake', metavar='OUT.pth',
                        help='write the checkpoint with the τ-normalised classifier')
    parser.add_argument('--out', help='write the sweep and the metrics as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    result = run(args.config, args.checkpoint, tuple(args.taus), args.tau, args.cfg_options)
    print(report(result))
    if args.bake:
        bake(args.checkpoint, result['tau'], args.bake)
        result['baked'] = args.bake
        print(f'wrote {args.bake} (classifier weight τ-normalised with τ = {result["tau"]:g})')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1, allow_nan=False)
    return result


if __name__ == '__main__':
    main()
