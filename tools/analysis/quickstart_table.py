"""Train every mmltr loss on the quickstart recipe and print the README's results table.

The quickstart recipe: ResNet-32 on Fashion-MNIST-LT IF 500 (6 many-, 3 medium-, 1 few-shot
class), batch 64, seed 0, evaluated on the balanced 10k test set at the final epoch. Every row is
the CE quickstart config with another loss (and head) and nothing else changed::

    python tools/analysis/quickstart_table.py --out-dir work_dirs/quickstart_table
    python tools/analysis/quickstart_table.py --rows ce,ghm-cwap --epochs 8 --diagnostics

Each row trains with ``tools/train.py`` in its own process (``--jobs`` at a time) into
``OUT_DIR/<row>``; the table (markdown) and ``results.json`` go to ``OUT_DIR``. A row that has
finished (its ``result.json`` exists) is not trained again unless ``--force``.
``--diagnostics`` adds :class:`mmltr.engine.hooks.TrainDiagnosticsHook` (per-epoch, per-class
weights, gradient norms and region edges in ``OUT_DIR/<row>/train_diagnostics.jsonl``).
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CE = 'configs/quickstart/ce_resnet32_1xb64_fashion-mnist-lt-if500.py'
DBM_BS = 'configs/quickstart/dbm-bs_resnet32_1xb64_fashion-mnist-lt-if500.py'
COSINE_HEAD = "model.head.type=CosineClsHead model.head.in_channels=64"

# name -> (config, --cfg-options, description); the CE config with one thing changed
ROWS = {
    'ce': (CE, '', 'CE'),
    'bs': (CE, 'model.head.loss.type=BalancedSoftmaxLoss', 'Balanced Softmax'),
    'dbm-bs': (DBM_BS, '', 'DBM-BS (cosine head, s = 32, K = 0.1)'),
    'dbm-bs-k0': (DBM_BS, 'model.head.loss.K=0.0',
                  'DBM-BS with K = 0 (cosine head + BS, s = 32)'),
    'dbm-ce': (DBM_BS, 'model.head.loss.base=ce', 'DBM-CE'),
    'dbm-drw': (DBM_BS, 'model.head.loss.base=drw model.head.loss.drw_epoch=3',
                'DBM-DRW (DRW at epoch 3)'),
    'ldam': (CE, f'{COSINE_HEAD} model.head.loss.type=LDAMLoss', 'LDAM (no DRW)'),
    'ldam-drw': (CE, f'{COSINE_HEAD} model.head.loss.type=LDAMLoss model.head.loss.drw_epoch=3',
                 'LDAM-DRW (DRW at epoch 3)'),
    'cb': (CE, 'model.head.loss.type=ClassBalancedLoss', 'class-balanced CE (beta 0.9999)'),
    'focal': (CE, 'model.head.loss.type=SoftmaxFocalLoss', 'softmax focal (gamma 1)'),
    'seesaw': (CE, 'model.head.loss.type=SeesawLoss model.head.loss.num_classes=10',
               'Seesaw (p 0.8, q 2)'),
    'ghm-cwap': (CE, 'model.head.loss.type=GHMCWAPLoss model.head.loss.num_classes=10',
                 'GHM-CWAP (defaults)'),
    'ghm-cwap-inter': (CE, 'model.head.loss.type=GHMCWAPLoss model.head.loss.num_classes=10 '
                       'model.head.loss.use_intra=False', 'GHM-CWAP, inter only'),
    'ghm-cwap-intra': (CE, 'model.head.loss.type=GHMCWAPLoss model.head.loss.num_classes=10 '
                       'model.head.loss.use_inter=False', 'GHM-CWAP, intra only'),
}
METRICS = ('lt/top1', 'lt/many', 'lt/medium', 'lt/few')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='work_dirs/quickstart_table')
    parser.add_argument('--rows', default=','.join(ROWS),
                        help=f'comma-separated rows (default: all): {", ".join(ROWS)}')
    parser.add_argument('--epochs', type=int, help='override the recipe\'s 4 epochs')
    parser.add_argument('--jobs', type=int, default=1, help='rows trained at the same time')
    parser.add_argument('--threads', type=int, help='torch threads per job (OMP_NUM_THREADS)')
    parser.add_argument('--diagnostics', action='store_true',
                        help='add TrainDiagnosticsHook to every row')
    parser.add_argument('--cfg-options', default='', help='extra options for every row')
    parser.add_argument('--force', action='store_true', help='retrain finished rows')
    args = parser.parse_args(argv)
    args.rows = [r for r in args.rows.split(',') if r]
    unknown = [r for r in args.rows if r not in ROWS]
    if unknown:
        parser.error(f'unknown rows {unknown}; choose from {", ".join(ROWS)}')
    return args


def row_command(name, args, work_dir):
    config, options, _ = ROWS[name]
    options = f'{options} {args.cfg_options}'.split()
    if args.epochs:
        e = args.epochs
        options += [f'train_cfg.max_epochs={e}', f'train_cfg.val_interval={e}',
                    f'param_scheduler.1.T_max={e - 1}', f'param_scheduler.1.end={e}']
    if args.diagnostics:  # a list in --cfg-options is not parsed into dicts: a config instead
        config = osp.join(work_dir, 'row_config.py')
        with open(config, 'w') as f:
            f.write(f"_base_ = [{osp.join(ROOT, ROWS[name][0])!r}]\n"
                    "custom_hooks = [dict(type='LongTailLossHook'), "
                    "dict(type='TrainDiagnosticsHook')]\n")
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), osp.join(ROOT, config),
           '--work-dir', work_dir]
    return cmd + (['--cfg-options'] + options if options else [])


def final_metrics(work_dir):
    """The last evaluation's metrics from MMEngine's ``vis_data/scalars.json``."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    for path in reversed(files):
        evals = [json.loads(line) for line in open(path) if 'lt/top1' in line]
        if evals:
            return {k: evals[-1][k] for k in METRICS}
    raise RuntimeError(f'no evaluation result under {work_dir} (see its log)')


def run_row(name, args):
    work_dir = osp.join(args.out_dir, name)
    result_file = osp.join(work_dir, 'result.json')
    if osp.exists(result_file) and not args.force:
        return json.load(open(result_file))
    os.makedirs(work_dir, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    if args.threads:
        env['OMP_NUM_THREADS'] = str(args.threads)
    start = time.time()
    with open(osp.join(work_dir, 'train.out'), 'w') as out:
        rc = subprocess.call(row_command(name, args, work_dir), stdout=out,
                             stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    if rc:
        raise RuntimeError(f'row {name} failed (exit {rc}); see {work_dir}/train.out')
    result = dict(row=name, description=ROWS[name][2], minutes=(time.time() - start) / 60,
                  **final_metrics(work_dir))
    with open(result_file, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'{name}: ' + ', '.join(f'{k} {result[k]:.2f}' for k in METRICS), flush=True)
    return result


def table(results):
    lines = ['| loss (quickstart recipe) | top-1 | many | medium | few | wall time |',
             '|---|---|---|---|---|---|']
    for r in results:
        cells = [f'{r[k]:.2f}' for k in METRICS]
        lines.append(f'| {r["description"]} | ' + ' | '.join(cells) +
                     f' | {r["minutes"]:.1f} min |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda name: run_row(name, args), args.rows))
    with open(osp.join(args.out_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    text = table(results)
    with open(osp.join(args.out_dir, 'table.md'), 'w') as f:
        f.write(text + '\n')
    print(text)


if __name__ == '__main__':
    main()
