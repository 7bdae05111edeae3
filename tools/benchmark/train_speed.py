"""Train a config for a few epochs and report its speed and accuracy, standard and/or fast path.

One command per config; each mode (``standard``: the config's own loops and CPU data pipeline,
``fast``: ``configs/_base_/fast_path.py``'s GPU loops) runs in its own process (a child process
each, the last mode in this one) so that peak GPU memory and warm-up are per mode::

    python tools/benchmark/train_speed.py CONFIG --epochs 200 --modes standard,fast \\
        --out-dir work_dirs/speed/ce [--cfg-options k=v ...]

It prints a table (seconds per epoch for training alone and with the evaluation, the evaluation
alone, images per second, the first epoch (decoding/warm-up), peak GPU memory, final top-1 and
many/medium/few) and writes ``<out-dir>/train_speed.json`` with every number and per-epoch times;
each mode's MMEngine logs and checkpoints are in ``<out-dir>/<mode>/``. Seconds per epoch are the
mean over epochs 2..N (the first epoch is reported separately), timed with ``cuda.synchronize``
at epoch boundaries only. Epoch time includes the checkpoint the config saves.

The fast mode uses ``configs/_base_/fast_path.py``'s settings (updated by the config's own
``fast_path`` if it has one). Options: ``--bf16`` (autocast bf16), ``--channels-last``,
``--sync-debug`` (CUDA only: counts host synchronisations during the second epoch with
``torch.cuda.set_sync_debug_mode`` and lists where they come from). ``--quick`` = 1 epoch.
Runs on CPU too (peak memory is then reported as 0).
"""
import argparse
import collections
import json
import os
import os.path as osp
import subprocess
import sys
import time
import warnings

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import torch  # noqa: E402
from _common import fmt, format_table, sync  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402

from mmltr.utils import build_runner  # noqa: E402  (importing mmltr registers its modules)

FAST_PATH_BASE = osp.join(ROOT, 'configs', '_base_', 'fast_path.py')
METRIC_KEYS = (('top1', ('lt/top1', 'accuracy/top1')), ('many', ('lt/many', )),
               ('medium', ('lt/medium', )), ('few', ('lt/few', )))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Seconds per epoch, images/s, memory and accuracy.')
    p.add_argument('config')
    p.add_argument('--epochs', type=int, default=None, help='epochs to train (default: config)')
    p.add_argument('--modes', default='standard,fast',
                   help='comma-separated: standard, fast (default both)')
    p.add_argument('--out-dir', default=None, help='default work_dirs/train_speed/<config>')
    p.add_argument('--val-interval', type=int, default=1,
                   help='evaluate every N epochs (default 1, as the reference timings)')
    p.add_argument('--bf16', action='store_true', help='fast path: autocast bfloat16')
    p.add_argument('--channels-last', action='store_true', help='fast path: channels-last')
    p.add_argument('--sync-debug', action='store_true',
                   help='CUDA: count host synchronisations in the 2nd epoch and their sources')
    p.add_argument('--scale-schedule', action='store_true',
                   help='with --epochs shorter/longer than the config: scale the epoch-based lr '
                   'schedule (begin/end/T_max/milestones) to the new length')
    p.add_argument('--quick', action='store_true', help='1 epoch (smoke test, e.g. on CPU)')
    p.add_argument('--seed', type=int, default=None, help='override randomness.seed')
    p.add_argument('--cfg-options', nargs='+', default=None, metavar='KEY=VALUE',
                   help="override config settings (MMEngine's DictAction syntax)")
    p.add_argument('--json-out', default=None, help=argparse.SUPPRESS)  # child processes
    args = p.parse_args(argv)
    if args.quick and args.epochs is None:
        args.epochs = 1
    return args


# ----------------------------------------------------------------------------------------------
# timing hooks
# ----------------------------------------------------------------------------------------------
class _Recorder:
    def __init__(self, sync_debug=False):
        self.epochs = []  # dicts: train_s, val_s, images, iters
        self.cur = None
        self.val_start = None
        self.metrics = {}
        self.sync_debug = sync_debug and torch.cuda.is_available()
        self.sync_report = None
        self._catch = None
        self._records = None


class _StartHook(Hook):
    """Starts the epoch and evaluation clocks (runs first)."""

    priority = 'HIGHEST'

    def __init__(self, rec):
        self.rec = rec

    def before_train_epoch(self, runner):
        sync()
        rec = self.rec
        rec.cur = dict(epoch=runner.epoch + 1, images=0, iters=0, val_s=0.0,
                       t0=time.perf_counter())
        want = 1 if runner.max_epochs > 1 else 0
        if rec.sync_debug and len(rec.epochs) == want:
            rec._catch = warnings.catch_warnings(record=True)
            rec._records = rec._catch.__enter__()
            warnings.simplefilter('always')
            torch.cuda.set_sync_debug_mode('warn')

    def before_val(self, runner):
        sync()
        self.rec.val_start = time.perf_counter()


class _EndHook(Hook):
    """Counts the images and stops the clocks (runs last)."""

    priority = 'LOWEST'

    def __init__(self, rec):
        self.rec = rec

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        cur = self.rec.cur
        if cur is not None and isinstance(data_batch, dict):
            samples = data_batch.get('data_samples')
            inputs = data_batch.get('inputs')
            cur['images'] += len(samples) if samples is not None else len(inputs)
            cur['iters'] += 1

    def after_train_epoch(self, runner):
        sync()
        rec = self.rec
        cur = rec.cur
        cur['train_s'] = time.perf_counter() - cur.pop('t0')
        if rec._catch is not None:
            torch.cuda.set_sync_debug_mode('default')
            records = list(rec._records)
            rec._catch.__exit__(None, None, None)
            rec._catch = None
            where = collections.Counter(
                f'{osp.relpath(r.filename) if r.filename.startswith("/") else r.filename}:'
                f'{r.lineno}' for r in records if 'synchroniz' in str(r.message))
            total = sum(where.values())
            rec.sync_report = dict(epoch=cur['epoch'], syncs=total, iters=cur['iters'],
                                   per_iter=total / max(cur['iters'], 1),
                                   top_sources=where.most_common(10))
        rec.epochs.append(cur)

    def after_val(self, runner):
        sync()
        rec = self.rec
        dt = time.perf_counter() - rec.val_start
        if rec.epochs and rec.cur is rec.epochs[-1]:
            rec.epochs[-1]['val_s'] += dt

    def after_val_epoch(self, runner, metrics=None):
        self.rec.metrics = dict(metrics or {})


# ----------------------------------------------------------------------------------------------
# one mode in this process
# ----------------------------------------------------------------------------------------------
def _cfg_options(values):
    """``k=v`` strings -> dict, with MMEngine's ``DictAction`` parsing."""
    ns = argparse.Namespace()
    DictAction(option_strings=[], dest='opts')(None, ns, list(values))
    return ns.opts


def build_cfg(args, mode: str, work_dir: str):
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(_cfg_options(args.cfg_options))
    cfg.launcher = 'none'  # one process; no distributed set-up needed
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{osp.splitext(osp.basename(args.config))[0]}_{mode}'
    if args.seed is not None:
        cfg.setdefault('randomness', {})['seed'] = args.seed
    if args.epochs is not None:
        if args.scale_schedule and cfg.get('param_scheduler'):
            cfg.param_scheduler = scale_schedule(cfg.param_scheduler, cfg.train_cfg.max_epochs,
                                                 args.epochs)
        cfg.train_cfg.max_epochs = args.epochs
    if cfg.get('val_cfg') is not None:
        cfg.train_cfg.val_interval = args.val_interval
    if mode == 'fast':
        # configs/_base_/fast_path.py's settings, then the config's own fast_path on top
        fp = Config.fromfile(FAST_PATH_BASE).fast_path.to_dict()
        own = cfg.get('fast_path', None)
        if own:
            own = own.to_dict() if hasattr(own, 'to_dict') else dict(own)
            for k, v in own.items():
                fp[k] = dict(fp.get(k) or {}, **v) if isinstance(v, dict) else v
        fp['enable'] = True
        train = dict(fp.get('train', None) or {})
        for stage in ('train', 'val', 'test'):
            opts = train if stage == 'train' else dict(fp.get(stage) or {})
            if args.bf16:
                opts['autocast_dtype'] = 'bfloat16'
            if args.channels_last:
                opts['channels_last'] = True
            fp[stage] = opts
        cfg.fast_path = fp
        cfg.runner_type = 'FastPathRunner'
    elif mode == 'standard':
        if cfg.get('fast_path', None):
            cfg.fast_path.enable = False
    else:
        raise ValueError(f'unknown mode {mode!r} (standard, fast)')
    return cfg


def scale_schedule(schedulers, old_epochs: int, new_epochs: int):
    """Epoch-based schedulers stretched from ``old_epochs`` to ``new_epochs``.

    ``begin``/``end``/``T_max``/``milestones`` are multiplied by ``new/old`` and rounded (a
    non-empty phase keeps at least one epoch). A dict of lists (several optimizers) is handled
    per key.
    """
    if isinstance(schedulers, dict) and 'type' not in schedulers:
        return {k: scale_schedule(v, old_epochs, new_epochs) for k, v in schedulers.items()}
    f = new_epochs / float(old_epochs)

    def s(v, min_one=False):
        out = int(round(v * f))
        return max(out, 1) if (min_one and v > 0) else out

    out = []
    for sch in (schedulers if isinstance(schedulers, (list, tuple)) else [schedulers]):
        sch = dict(sch)
        if sch.get('by_epoch', True):
            begin = sch.get('begin', 0)
            sch['begin'] = s(begin)
            if 'end' in sch and sch['end'] is not None:
                sch['end'] = min(max(s(sch['end'], True), sch['begin'] + 1),
                                 new_epochs) if sch['end'] < 10**8 else sch['end']
            if 'T_max' in sch:
                sch['T_max'] = s(sch['T_max'], True)
            if 'milestones' in sch:
                sch['milestones'] = [s(m, True) for m in sch['milestones']]
        out.append(sch)
    return out


def _pick(metrics, keys):
    for k in keys:
        if k in metrics and metrics[k] is not None:
            return float(metrics[k])
    return None


def summarise(rec: _Recorder, mode: str, build_s: float, total_s: float) -> dict:
    eps = rec.epochs
    steady = eps[1:] if len(eps) > 1 else eps
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    train_s = mean([e['train_s'] for e in steady])
    val_s = mean([e['val_s'] for e in steady])
    images = mean([e['images'] for e in steady])
    out = dict(
        mode=mode,
        device=torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu',
        epochs=len(eps),
        sec_per_epoch_train=train_s,
        sec_per_epoch_with_eval=(train_s + val_s) if train_s is not None else None,
        sec_eval=val_s,
        images_per_s=(images / train_s) if train_s else None,
        first_epoch_s=(eps[0]['train_s'] + eps[0]['val_s']) if eps else None,
        iters_per_epoch=mean([e['iters'] for e in steady]),
        peak_gpu_mem_mib=(torch.cuda.max_memory_allocated() / 2**20
                          if torch.cuda.is_available() else 0.0),
        build_s=build_s,
        total_train_s=total_s,
        per_epoch=[{k: v for k, v in e.items()} for e in eps],
        metrics={k: v for k, v in rec.metrics.items() if isinstance(v, (int, float))},
    )
    for name, keys in METRIC_KEYS:
        out[name] = _pick(rec.metrics, keys)
    if rec.sync_report is not None:
        out['sync_debug'] = rec.sync_report
    return out


def run_mode(args, mode: str, out_dir: str) -> dict:
    work_dir = osp.join(out_dir, mode)
    cfg = build_cfg(args, mode, work_dir)
    t = time.perf_counter()
    runner = build_runner(cfg)
    rec = _Recorder(sync_debug=args.sync_debug)
    runner.register_hook(_StartHook(rec))
    runner.register_hook(_EndHook(rec))
    build_s = time.perf_counter() - t
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    runner.train()
    sync()
    total_s = time.perf_counter() - t
    return summarise(rec, mode, build_s, total_s)


# ----------------------------------------------------------------------------------------------
# table
# ----------------------------------------------------------------------------------------------
def results_table(results) -> str:
    head = ('mode', 'ep', 's/ep train', 's/ep +eval', 'eval s', 'img/s', '1st ep s', 'peak MiB',
            'top1', 'many', 'medium', 'few')
    lines = [format_table(head, [
        (r['mode'], r['epochs'], fmt(r['sec_per_epoch_train'], '.3f'),
         fmt(r['sec_per_epoch_with_eval'], '.3f'), fmt(r['sec_eval'], '.3f'),
         fmt(r['images_per_s'], '.0f'), fmt(r['first_epoch_s'], '.2f'),
         fmt(r['peak_gpu_mem_mib'], '.0f'), fmt(r['top1'], '.2f'), fmt(r['many'], '.2f'),
         fmt(r['medium'], '.2f'), fmt(r['few'], '.2f')) for r in results])]
    if len(results) == 2 and all(r['sec_per_epoch_with_eval'] for r in results):
        a, b = results
        lines.append(f'speed-up {b["mode"]} vs {a["mode"]} (with eval): '
                     f'{a["sec_per_epoch_with_eval"] / b["sec_per_epoch_with_eval"]:.2f}x')
    for r in results:
        if 'sync_debug' in r:
            s = r['sync_debug']
            lines.append(f'[{r["mode"]}] host syncs in epoch {s["epoch"]}: {s["syncs"]} '
                         f'({s["per_iter"]:.2f}/iter); top sources: {s["top_sources"][:5]}')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    modes = [m.strip() for m in args.modes.split(',') if m.strip()]
    if not modes or set(modes) - {'standard', 'fast'}:
        raise ValueError(f'--modes: expected a comma-separated subset of standard, fast; got '
                         f'{args.modes!r}.')
    name = osp.splitext(osp.basename(args.config))[0]
    out_dir = osp.abspath(args.out_dir or osp.join('work_dirs', 'train_speed', name))
    os.makedirs(out_dir, exist_ok=True)
    # every mode but the last in a child process of its own, the last one in this process
    results = []
    raw = list(sys.argv[1:] if argv is None else argv)
    for mode in modes[:-1]:
        child_json = osp.join(out_dir, f'{mode}.json')
        cmd = [sys.executable, osp.abspath(__file__)] + _strip_modes(raw) + [
            '--modes', mode, '--out-dir', out_dir, '--json-out', child_json]
        print(f'train_speed: running mode {mode!r} ...', flush=True)
        subprocess.run(cmd, check=True)
        with open(child_json) as f:
            results.extend(json.load(f))
    if len(modes) > 1:
        print(f'train_speed: running mode {modes[-1]!r} ...', flush=True)
    results.append(run_mode(args, modes[-1], out_dir))
    if args.json_out:
        with open(args.json_out, 'w') as f:
            json.dump(results, f, indent=2)
        return results
    table = results_table(results)
    print(f'\n{args.config}\n{table}', flush=True)
    payload = dict(config=args.config, cfg_options=args.cfg_options, modes=modes,
                   results=results, table=table)
    with open(osp.join(out_dir, 'train_speed.json'), 'w') as f:
        json.dump(payload, f, indent=2)
    print(f'wrote {osp.join(out_dir, "train_speed.json")}')
    return results


def _strip_modes(argv):
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ('--modes', '--out-dir', '--json-out'):
            skip = True
            continue
        if a.startswith(('--modes=', '--out-dir=', '--json-out=')):
            continue
        out.append(a)
    return out


if __name__ == '__main__':
    main()
