"""Reproduce the papers' tables: run a suite of configs, concurrently, and write its results table.

    python tools/reproduce.py --list                                  # suites and their rows
    python tools/reproduce.py dbm-cifar10-jpeg-if100 --out work_dirs/repro
    python tools/reproduce.py all --epochs 50 --seeds 0,1,2 --parallel 8
    python tools/reproduce.py all --smoke                             # every row, tiny data, CPU

A suite is a YAML file in ``configs/reproduce/`` (data, not code): a title, the config schedule
length ``config_epochs`` and its rows. A row names a ``config`` with optional ``cfg_options``,
``epoch_options`` (options whose value is an epoch of the schedule, e.g. a DRW switch, scaled
with ``--epochs``), the paper's number (``paper: {top1, source}``), the model-zoo folder
(``zoo``), and for speed rows ``modes`` (``[standard, fast]``) and a fixed ``epochs``; or a
``script`` (a benchmark under ``tools/``) with its ``args``. A stage-2 row (decoupled training:
cRT, LWS, label-aware smoothing) names its stage-1 row with ``after``: it starts from that row's
final checkpoint (``load_from``) once it has finished, and trains its own config's schedule,
scaled by ``--epochs`` in the same ratio as the suite. ``data_from`` takes the datasets and the
data preprocessor of another config (e.g. a stage-2 recipe written for CIFAR-10-LT, trained on
the JPEG copy the suite uses); the row's own config keeps everything else.

Each row (and seed) trains in its own process through ``tools/benchmark/train_speed.py`` on the
fast path (``--modes fast``): up to ``--parallel`` processes at once, over all the suites named
(default: every run at once; on one GPU they share it, with CUDA MPS if it is running).
``--epochs N`` scales the whole schedule (warm-up, LR steps, cosine length and the row's
``epoch_options``) from ``config_epochs`` to N and records it. A row that crashes or produces a
non-finite loss or metric is reported as such; the other rows finish.

Output in ``--out`` (default ``work_dirs/reproduce``): per suite ``<suite>/results.json`` and
``results.md``, and per row and seed ``<suite>/<row>/seed<S>/`` with ``train.log``,
``train_speed.json`` and MMEngine's work dir (``vis_data/scalars.json``). ``--update FILE``
merges the suites into a results file row by row (``docs/results/results.json``; a row not run
keeps its result from an earlier run at the same settings, see :func:`merge_suite`;
``--plan --update FILE`` adds the suites not measured yet, as "not run"), from which
``tools/misc/update_results_docs.py`` writes the README and model-zoo tables. Reported per row:
final-epoch top-1 and many/medium/few (not the best epoch), seconds per epoch with and without
evaluation, peak GPU memory, seeds, epochs, commit, and the paper's number.

``--smoke`` writes a tiny JPEG CIFAR-10 tree (130 training and 10 test images per class), runs
every selected row for one epoch on CPU in a folder whose ``data/cifar10-jpeg`` is that tree, and
fails if any row fails: a suite never breaks unnoticed. Its runs are processes forked from one
that has imported the stack once (:func:`mmltr.utils.script_runner.run_script`, about 8 s less
per run); other runs start their own interpreter. ``--dry-run`` prints every run's command (at
``--epochs``; a stage-2 row with the checkpoint path it would load) and runs nothing.
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import shlex
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)  # run from a checkout (--smoke imports mmltr)
SUITE_DIR = osp.join(ROOT, 'configs', 'reproduce')
TRAIN_SPEED = osp.join(ROOT, 'tools', 'benchmark', 'train_speed.py')
METRICS = ('top1', 'many', 'medium', 'few')
TIMES = ('sec_per_epoch_train', 'sec_per_epoch_with_eval', 'peak_gpu_mem_mib', 'first_epoch_s')
ROW_KEYS = {'name', 'title', 'config', 'cfg_options', 'epoch_options', 'paper', 'zoo', 'modes',
            'epochs', 'script', 'args', 'smoke_args', 'output', 'after', 'data_from'}
DATA_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
SMOKE_PER_CLASS = (130, 10)  # train, test images per class: Difficulty-Net's 25 + IF 100 >= 1


# ----------------------------------------------------------------------------------------------
# suites
# ----------------------------------------------------------------------------------------------
def load_suites(suite_dir: str = None) -> dict:
    """``{name: suite}`` for every ``*.yml`` in ``suite_dir`` (default ``configs/reproduce``),
    checked."""
    suites = {}
    suite_dir = suite_dir or SUITE_DIR
    for path in sorted(glob.glob(osp.join(suite_dir, '*.yml'))):
        name = osp.splitext(osp.basename(path))[0]
        with open(path) as f:
            suite = yaml.safe_load(f)
        suites[name] = check_suite(name, suite, path)
    return suites


def check_suite(name: str, suite, path: str) -> dict:
    def fail(msg):
        raise ValueError(f'{path}: {msg}')

    if not isinstance(suite, dict) or not isinstance(suite.get('rows'), list) or not suite['rows']:
        fail('a suite is a mapping with a non-empty list `rows`.')
    if not isinstance(suite.get('config_epochs'), int) or suite['config_epochs'] < 1:
        fail('`config_epochs` (the configs\' schedule length in epochs) must be a positive int.')
    seen = {}
    for row in suite['rows']:
        if not isinstance(row, dict) or not isinstance(row.get('name'), str):
            fail(f'every row needs a `name`; got {row!r}.')
        rname = row['name']
        if rname in seen:
            fail(f'row {rname!r} appears twice.')
        seen[rname] = row
        unknown = set(row) - ROW_KEYS
        if unknown:
            fail(f'row {rname!r}: unknown keys {sorted(unknown)}; allowed: {sorted(ROW_KEYS)}.')
        if ('config' in row) == ('script' in row):
            fail(f'row {rname!r}: give exactly one of `config` and `script`.')
        target = row.get('config') or row.get('script')
        if not osp.isfile(osp.join(ROOT, target)):
            fail(f'row {rname!r}: {target} does not exist (paths are relative to the repo).')
        for key in row.get('epoch_options') or {}:
            if not any(o.startswith(f'{key}=') for o in row.get('cfg_options') or []):
                fail(f'row {rname!r}: epoch option {key} must also be set in `cfg_options`.')
        if set(row.get('modes') or ['fast']) - {'standard', 'fast'}:
            fail(f'row {rname!r}: `modes` is a list of standard, fast.')
        after = row.get('after')
        if after is not None and (after not in seen or 'config' not in seen[after]
                                  or 'after' in seen[after] or 'script' in row):
            fail(f'row {rname!r}: `after` must name an earlier config row of this suite that is '
                 f'not a stage-2 row itself, got {after!r}.')
        if row.get('data_from') and not osp.isfile(osp.join(ROOT, row['data_from'])):
            fail(f'row {rname!r}: data_from {row["data_from"]} does not exist.')
        paper = row.get('paper')
        if paper is not None and not (isinstance(paper, dict) and 'source' in paper):
            fail(f'row {rname!r}: `paper` needs `top1` and `source`.')
    suite = dict(suite, suite=name, path=osp.relpath(path, ROOT))
    suite.setdefault('title', name)
    return suite


def select(suites: dict, names, rows=None):
    """The suites named (``all``: every suite), each restricted to ``rows`` if given."""
    names = list(suites) if 'all' in names else names
    unknown = [n for n in names if n not in suites]
    if unknown:
        raise SystemExit(f'reproduce: unknown suites {unknown}; --list shows {sorted(suites)}.')
    out = []
    for n in names:
        suite = dict(suites[n])
        if rows:  # with the stage-1 rows the selected stage-2 rows start from
            keep = set(rows) | {r['after'] for r in suite['rows']
                                if r['name'] in rows and r.get('after')}
            suite['rows'] = [r for r in suite['rows'] if r['name'] in keep]
        if suite['rows']:
            out.append(suite)
    if not out:
        raise SystemExit(f'reproduce: no row selected (--rows {",".join(rows or [])}).')
    return out


def list_suites(suites: dict) -> str:
    lines = []
    for name, suite in suites.items():
        lines.append(f'{name}: {suite["title"]} ({suite["config_epochs"]} epochs)')
        for row in suite['rows']:
            paper = row.get('paper') or {}
            ref = f'  paper {paper["top1"]}' if paper.get('top1') is not None else ''
            stage = f' (after {row["after"]})' if row.get('after') else ''
            lines.append(f'  {row["name"]:<26} {row.get("title", "")}{stage}{ref}')
    return '\n'.join(lines)


# ----------------------------------------------------------------------------------------------
# one row
# ----------------------------------------------------------------------------------------------
def scaled_epoch(value: int, config_epochs: int, epochs: int) -> int:
    return max(1, int(round(value * epochs / config_epochs)))


def row_config(row: dict, out_dir: str):
    """The config file ``row`` trains and its schedule length in epochs: its ``config``, or with
    ``data_from`` that config with the other one's datasets and data preprocessor (written to
    ``out_dir/config.py``)."""
    from mmengine.config import Config
    path = osp.join(ROOT, row['config'])
    cfg = Config.fromfile(path)
    if row.get('data_from'):
        data = Config.fromfile(osp.join(ROOT, row['data_from']))
        for key in DATA_KEYS:
            if cfg.get(key) is not None and data.get(key) is not None:
                cfg[key]['dataset'] = data[key]['dataset']
        if data.get('data_preprocessor') is not None:
            cfg.data_preprocessor = data.data_preprocessor
            if cfg.model.get('data_preprocessor') is not None:
                cfg.model.data_preprocessor = data.data_preprocessor
        path = osp.join(out_dir, 'config.py')
        cfg.dump(path)
    return path, cfg.train_cfg.max_epochs


def row_command(row: dict, suite: dict, args, seed: int, out_dir: str, config: str = None,
                schedule: int = None, load_from: str = None):
    """The command that runs ``row`` for ``seed`` and the number of epochs it trains (a stage-2
    row: its ``config`` file, ``schedule`` epochs long, started from ``load_from``)."""
    if 'script' in row:
        extra = row.get('smoke_args', []) if args.smoke else row.get('args', [])
        return [sys.executable, osp.join(ROOT, row['script']), *extra, '--out-dir', out_dir], None
    schedule = schedule or suite['config_epochs']
    if args.smoke:
        epochs = 1
    elif row.get('epochs'):
        epochs = row['epochs']
    elif args.epochs:
        epochs = scaled_epoch(schedule, suite['config_epochs'], args.epochs)
    else:
        epochs = schedule
    options = list(row.get('cfg_options') or [])
    for key, value in (row.get('epoch_options') or {}).items():
        new = scaled_epoch(value, schedule, epochs)
        options = [o for o in options if not o.startswith(f'{key}=')] + [f'{key}={new}']
    if load_from:
        options.append(f'load_from={load_from}')
    if args.smoke:
        options += ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
                    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']
    cmd = [sys.executable, TRAIN_SPEED, config or osp.join(ROOT, row['config']), '--modes',
           ','.join(row.get('modes') or ['fast']), '--epochs', str(epochs), '--seed', str(seed),
           '--out-dir', out_dir]
    if epochs != schedule:
        cmd.append('--scale-schedule')
    if options:
        cmd += ['--cfg-options', *options]
    return cmd, epochs


def final_checkpoint(out_dir: str):
    """The last checkpoint a row's run saved (MMEngine's ``last_checkpoint`` file in the work dir
    of its last mode), or None."""
    for mode in ('fast', 'standard'):
        marker = osp.join(out_dir, mode, 'last_checkpoint')
        if osp.isfile(marker):
            with open(marker) as f:
                path = f.read().strip()
            if osp.isfile(path):
                return path
    return None


def _finite(x) -> bool:
    return x is None or (isinstance(x, (int, float)) and math.isfinite(x))


def nonfinite_losses(work_dir: str) -> list:
    """Logged loss values in MMEngine's ``scalars.json`` files below ``work_dir`` that are not
    finite (as ``(step, key)``)."""
    bad = []
    for path in glob.glob(osp.join(work_dir, '**', 'scalars.json'), recursive=True):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                for k, v in rec.items():
                    if 'loss' in k and isinstance(v, (int, float)) and not math.isfinite(v):
                        bad.append((rec.get('step'), k))
    return bad


def row_dir(args, suite: dict, name: str, seed: int) -> str:
    return osp.join(args.out, suite['suite'], name, f'seed{seed}')


def plan_run(row: dict, suite: dict, args, seed: int, out_dir: str, load_from: str = None):
    """The command of ``row`` for ``seed`` (a stage-2 row starting from ``load_from``) and the
    epochs it trains; creates ``out_dir`` (a ``data_from`` or stage-2 row's config goes there)."""
    os.makedirs(out_dir, exist_ok=True)
    config = schedule = None
    if row.get('after') or row.get('data_from'):
        config, schedule = row_config(row, out_dir)
        if not row.get('after'):
            schedule = None  # the suite's config_epochs
    return row_command(row, suite, args, seed, out_dir, config, schedule, load_from)


def run_one(row: dict, suite: dict, args, seed: int, stage1: dict = None) -> dict:
    """Run one row for one seed (a stage-2 row after its stage-1 run ``stage1``)."""
    out_dir = row_dir(args, suite, row['name'], seed)
    load_from = None
    if row.get('after'):
        load_from = final_checkpoint(row_dir(args, suite, row['after'], seed))
        if stage1 is None or stage1['status'] != 'ok' or load_from is None:
            return dict(seed=seed, epochs=None, rc=None, wall_s=0.0, status='skipped',
                        error=f'stage 1 ({row["after"]}) did not finish with a checkpoint')
    cmd, epochs = plan_run(row, suite, args, seed, out_dir, load_from)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    if args.threads:
        env['OMP_NUM_THREADS'] = str(args.threads)
    log = osp.join(out_dir, 'train.log')
    t = time.perf_counter()
    with open(log, 'w') as f:
        f.write(' '.join(cmd) + '\n')
        f.flush()
        if args.smoke:
            # CPU only: a process forked from one that has imported the stack (8 s less per run)
            from mmltr.utils.script_runner import run_script
            rc = run_script(cmd[1], cmd[2:], cwd=args.cwd, env=env, log=log)[0]
        else:
            rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=args.cwd, env=env)
    rec = dict(seed=seed, epochs=epochs, rc=rc, wall_s=time.perf_counter() - t,
               log=osp.relpath(log, args.out))
    if rc != 0:
        with open(log, errors='replace') as f:
            rec.update(status='crashed', error=''.join(f.readlines()[-15:]))
        return rec
    if 'script' in row:
        out = osp.join(out_dir, row['output']) if row.get('output') else None
        if out and osp.isfile(out):
            with open(out) as f:
                rec['output'] = json.load(f)
            # the benchmarks name the device they measured on (as train_speed.py does)
            rec['device'] = rec['output'].get('device_name')
        rec['status'] = 'ok'
        return rec
    with open(osp.join(out_dir, 'train_speed.json')) as f:
        modes = {r['mode']: r for r in json.load(f)['results']}
    rec['modes'] = {m: {k: r.get(k) for k in METRICS + TIMES + ('device', 'images_per_s')}
                    for m, r in modes.items()}
    main = modes.get('fast') or next(iter(modes.values()))
    rec.update({k: main.get(k) for k in METRICS + TIMES})
    rec['device'] = main.get('device')
    bad = nonfinite_losses(out_dir)
    if bad or not all(_finite(rec[k]) for k in METRICS):
        rec.update(status='nan', error=f'non-finite losses at {bad[:5]}' if bad else
                   'non-finite metric')
    else:
        rec['status'] = 'ok'
    return rec


def _mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def planned(suite: dict) -> dict:
    """A suite's entry before any run: its rows, paper numbers and "not run"."""
    rows = [dict(aggregate(row, []), status='not run') for row in suite['rows']]
    return dict(suite=suite['suite'], title=suite['title'], path=suite['path'],
                description=suite.get('description'), measured=False, smoke=False, date=None,
                commit=None, device=None, epochs=None, config_epochs=suite['config_epochs'],
                seeds=[], rows=rows)


def aggregate(row: dict, runs: list) -> dict:
    """One results row from the runs of its seeds (mean and, with several seeds, std)."""
    out = {k: row[k] for k in ('name', 'config', 'zoo', 'script', 'after', 'data_from')
           if k in row}
    out['title'] = row.get('title') or row['name']
    out.update(cfg_options=list(row.get('cfg_options') or []), paper=row.get('paper'),
               seeds=[r['seed'] for r in runs], per_seed=runs)
    failed = [r for r in runs if r['status'] != 'ok']
    out['status'] = failed[0]['status'] if failed else 'ok'
    out['error'] = failed[0].get('error') if failed else None
    ok = [r for r in runs if r['status'] == 'ok']
    out['epochs'] = runs[0].get('epochs') if runs else None
    out['device'] = next((r.get('device') for r in ok if r.get('device')), None)
    for k in METRICS + TIMES:
        vals = [r[k] for r in ok if r.get(k) is not None]
        out[k] = statistics.fmean(vals) if vals and not failed else None
        if k in METRICS:
            out[f'{k}_std'] = statistics.stdev(vals) if len(vals) > 1 and not failed else None
    if ok and 'modes' in ok[0] and len(ok[0]['modes']) > 1:
        out['modes'] = {m: {k: _mean([r['modes'][m].get(k) for r in ok]) for k in TIMES}
                        for m in ok[0]['modes']}
        std, fast = out['modes'].get('standard'), out['modes'].get('fast')
        if std and fast and fast['sec_per_epoch_with_eval']:
            out['speedup'] = std['sec_per_epoch_with_eval'] / fast['sec_per_epoch_with_eval']
    if ok and 'output' in ok[0]:
        out['output'] = ok[0]['output']
    return out


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------
def _fmt(x, spec='.2f', std=None):
    if x is None:
        return '–'
    return f'{x:{spec}} ± {std:{spec}}' if std is not None else f'{x:{spec}}'


def results_markdown(res: dict) -> str:
    head = (f'### {res["title"]}\n\n{res["device"] or "device unknown"}, {res["epochs"]} epochs '
            f'(configs: {res["config_epochs"]}), seeds {res["seeds"]}, commit {res["commit"]}, '
            f'{res["date"]}{" — SMOKE RUN, not a result" if res["smoke"] else ""}.\n\n')
    lines = ['| row | top-1 | many | medium | few | s/epoch (train) | s/epoch (+eval) | '
             'peak MiB | paper | status |', '|' + '---|' * 10]
    for r in res['rows']:
        paper = r.get('paper') or {}
        lines.append('| ' + ' | '.join([
            r['title'], _fmt(r.get('top1'), std=r.get('top1_std')), _fmt(r.get('many')),
            _fmt(r.get('medium')), _fmt(r.get('few')), _fmt(r.get('sec_per_epoch_train'), '.3f'),
            _fmt(r.get('sec_per_epoch_with_eval'), '.3f'), _fmt(r.get('peak_gpu_mem_mib'), '.0f'),
            _fmt(paper.get('top1')), r['status'] + (f' (speed-up {r["speedup"]:.1f}x)'
                                                    if r.get('speedup') else '')]) + ' |')
    summaries = [f'- {r["title"]}: {r["output"]["summary"]}' for r in res['rows']
                 if (r.get('output') or {}).get('summary')]
    return head + '\n'.join(lines) + '\n' + ('\n' + '\n'.join(summaries) + '\n'
                                             if summaries else '')


def git_commit() -> str:
    try:
        return subprocess.check_output(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT,
                                       text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


RUN_KEYS = ('epochs', 'config_epochs', 'seeds')  # the settings a suite's rows must share


def merge_suite(old: Optional[dict], new: dict, rows: Optional[Sequence[dict]] = None) -> dict:
    """A suite's entry after a run of some or all of its rows (``new``), given its earlier entry
    (``old``) and the suite's rows (``rows``, default ``new``'s).

    The rows run replace theirs. A row not run keeps its earlier result when that came from a
    measured run with the same settings (epochs, config epochs, seeds), e.g. the rows of a first
    run when a second one (``--rows``) reruns only those that failed. Otherwise it is listed as
    not run, so a table always lists every row. Each measured row records the commit and date
    of its own run. Rows come in the suite's order."""
    merged = dict(new, rows=[])
    done = {r['name']: r for r in new['rows']}
    kept = {}
    if (old and old.get('measured') and not old.get('smoke') and new.get('measured')
            and all(old.get(k) == new.get(k) for k in RUN_KEYS)):
        kept = {r['name']: dict(r, commit=r.get('commit', old.get('commit')),
                                date=r.get('date', old.get('date'))) for r in old['rows']}
    for row in rows if rows is not None else new['rows']:
        name = row['name']
        if name in done:
            entry = done[name]
            if new.get('measured'):
                entry = dict(entry, commit=entry.get('commit', new.get('commit')),
                             date=entry.get('date', new.get('date')))
        else:
            entry = kept.get(name) or dict(aggregate(row, []), status='not run')
        merged['rows'].append(entry)
    return merged


def update_results(path: str, results: list, keep_measured: bool = False,
                   suites: Optional[dict] = None) -> None:
    """Merge suite results into the results file read by the docs generator, row by row
    (:func:`merge_suite`; ``suites``: the suite definitions, default the shipped ones;
    ``keep_measured``: a suite already measured there is kept as it is)."""
    data = {'suites': {}}
    if osp.isfile(path):
        with open(path) as f:
            data = json.load(f)
    if suites is None:
        suites = load_suites()
    for res in results:
        old = data['suites'].get(res['suite'])
        if not (keep_measured and old and old.get('measured')):
            rows = (suites.get(res['suite']) or {}).get('rows')
            data['suites'][res['suite']] = merge_suite(old, res, rows)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write('\n')


# ----------------------------------------------------------------------------------------------
# smoke data
# ----------------------------------------------------------------------------------------------
def write_smoke_data(root: str, seed: int = 0) -> str:
    """A tiny JPEG CIFAR-10 tree ``root/data/cifar10-jpeg/{train,test}/<class>/NNNN.jpg``."""
    import cv2
    import numpy as np
    from mmpretrain.datasets.categories import CIFAR10_CATEGORIES
    rng = np.random.default_rng(seed)
    base = osp.join(root, 'data', 'cifar10-jpeg')
    for split, n in zip(('train', 'test'), SMOKE_PER_CLASS):
        for c, name in enumerate(CIFAR10_CATEGORIES):
            folder = osp.join(base, split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                img[..., c % 3] //= 2  # a weak class cue
                cv2.imwrite(osp.join(folder, f'{i:04d}.jpg'), img)
    return root


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('suites', nargs='*', help='suite names, or `all`')
    p.add_argument('--list', action='store_true', help='list the suites and their rows')
    p.add_argument('--out', default='work_dirs/reproduce', help='output folder')
    p.add_argument('--rows', default=None, help='comma-separated row names to run (default all)')
    p.add_argument('--epochs', type=int, default=None,
                   help='scale every schedule to N epochs (default: the configs\' own)')
    p.add_argument('--seeds', default='0', help='comma-separated seeds (default 0)')
    p.add_argument('--parallel', type=int, default=None,
                   help='processes at once (default: every run; --smoke: 2)')
    p.add_argument('--threads', type=int, default=None, help='OMP_NUM_THREADS per process')
    p.add_argument('--smoke', action='store_true', help='1 epoch of every row on tiny data')
    p.add_argument('--dry-run', action='store_true',
                   help='print every run\'s command (schedules scaled, stage-2 rows with the '
                   'checkpoint they would load) and run nothing')
    p.add_argument('--plan', action='store_true',
                   help='run nothing: with --update, add the suites not in FILE as "not run" '
                   '(their rows and paper numbers), so the docs list them')
    p.add_argument('--update', default=None, metavar='FILE',
                   help='merge the results into FILE (e.g. docs/results/results.json)')
    args = p.parse_args(argv)
    try:
        args.seeds = [int(s) for s in args.seeds.split(',') if s.strip()]
    except ValueError:
        p.error(f'--seeds: comma-separated integers, got {args.seeds!r}')
    if args.epochs is not None and args.epochs < 1:
        p.error('--epochs must be >= 1')
    if not args.list and not args.suites:
        p.error('name a suite (or `all`), or use --list')
    if args.update and args.smoke:
        p.error('--update with --smoke would publish smoke numbers as results')
    args.rows = [r for r in (args.rows or '').split(',') if r]
    return args


def suite_epochs(suite: dict, args) -> int:
    """The epochs a suite's runs trained: 1 in a smoke run; else the stage-1 rows' own
    ``epochs`` when they all set the same (the speed suite's short runs), else ``--epochs`` or
    the configs' schedule."""
    if args.smoke:
        return 1
    own = {r.get('epochs') for r in suite['rows'] if 'config' in r and not r.get('after')}
    if len(own) == 1 and None not in own:
        return own.pop()
    return args.epochs or suite['config_epochs']


def dry_run(jobs, args) -> list:
    """Print each job's command (``--dry-run``); returns ``[(suite, row, seed, cmd, epochs)]``."""
    planned_runs = []
    for suite, row, seed in jobs:
        load_from = None
        if row.get('after'):
            stage1 = row_dir(args, suite, row['after'], seed)
            load_from = final_checkpoint(stage1) or osp.join(stage1, '<final checkpoint>')
        cmd, epochs = plan_run(row, suite, args, seed, row_dir(args, suite, row['name'], seed),
                               load_from)
        print(f'{suite["suite"]}/{row["name"]} seed {seed}'
              f'{f" ({epochs} epochs)" if epochs else ""}: {shlex.join(cmd)}', flush=True)
        planned_runs.append((suite['suite'], row['name'], seed, cmd, epochs))
    return planned_runs


def main(argv=None):
    args = parse_args(argv)
    suites = load_suites()
    if args.list:
        print(list_suites(suites))
        return []
    chosen = select(suites, args.suites, args.rows)
    if args.plan:
        results = [planned(s) for s in chosen]
        if args.update:
            update_results(args.update, results, keep_measured=True)
        return results
    args.out = osp.abspath(args.out)
    args.cwd = ROOT
    jobs = [(suite, row, seed) for suite in chosen for row in suite['rows'] for seed in args.seeds]
    if args.dry_run:
        return dry_run(jobs, args)
    if args.smoke:
        args.cwd = write_smoke_data(osp.join(args.out, 'smoke_root'))
        args.threads = args.threads or 1
    parallel = args.parallel or (2 if args.smoke else len(jobs))
    print(f'reproduce: {len(jobs)} runs of {len(chosen)} suites, {parallel} at a time -> '
          f'{args.out}', flush=True)
    t = time.perf_counter()
    # stage-2 rows start once every stage-1 run has finished
    done = {}
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for wave in (False, True):
            todo = [job for job in jobs if bool(job[1].get('after')) == wave]
            for (suite, row, seed), rec in zip(todo, pool.map(
                    lambda job: run_one(job[1], job[0], args, job[2], done.get(
                        (job[0]['suite'], job[1].get('after'), job[2]))), todo)):
                done[(suite['suite'], row['name'], seed)] = rec
    runs = [done[(suite['suite'], row['name'], seed)] for suite, row, seed in jobs]
    wall_s = time.perf_counter() - t
    results = []
    for suite in chosen:
        rows = [aggregate(row, [r for (_, rw, _), r in zip(jobs, runs) if rw is row])
                for row in suite['rows']]
        res = dict(suite=suite['suite'], title=suite['title'], path=suite['path'],
                   description=suite.get('description'), measured=not args.smoke,
                   smoke=args.smoke, date=time.strftime('%Y-%m-%d'), commit=git_commit(),
                   device=next((r['device'] for r in rows if r.get('device')), None),
                   epochs=suite_epochs(suite, args),
                   config_epochs=suite['config_epochs'], seeds=args.seeds,
                   parallel=min(parallel, len(jobs)), wall_s=wall_s, rows=rows)
        folder = osp.join(args.out, suite['suite'])
        with open(osp.join(folder, 'results.json'), 'w') as f:
            json.dump(res, f, indent=1)
        table = results_markdown(res)
        with open(osp.join(folder, 'results.md'), 'w') as f:
            f.write(table)
        print(table, flush=True)
        for r in rows:
            if r['status'] != 'ok':
                print(f'reproduce: {suite["suite"]}/{r["name"]}: {r["status"]}\n{r["error"]}',
                      flush=True)
        results.append(res)
    if args.update:
        update_results(args.update, results)
    failed = [f'{res["suite"]}/{r["name"]}' for res in results for r in res['rows']
              if r['status'] != 'ok']
    if failed:
        print(f'reproduce: failed rows: {", ".join(failed)}', flush=True)
        if args.smoke:
            raise SystemExit(1)
    return results


if __name__ == '__main__':
    main()
