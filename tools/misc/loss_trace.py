"""Train a config briefly and write every logged training value of every iteration to JSON.

    python tools/misc/loss_trace.py CONFIG --epochs 2 --out trace.json [--fast] [--cfg-options ...]

The values are read from the message hub after training (``train/<key>`` histories, full float
precision), so the standard and the fast loop are traced the same way. Two traces of the same
command compare exactly: a refactoring that must not change training shows identical numbers.
``--fast`` puts the config on the fast path (``configs/_base_/fast_path.py``).
"""
import argparse
import json
import os.path as osp
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from mmengine.config import Config, DictAction  # noqa: E402

from mmltr.utils import build_runner  # noqa: E402  (importing mmltr registers its modules)

FAST_PATH_BASE = osp.join(ROOT, 'configs', '_base_', 'fast_path.py')
SKIP = ('train/time', 'train/data_time', 'train/lr', 'train/eta')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--out', required=True)
    p.add_argument('--fast', action='store_true')
    p.add_argument('--work-dir', default=None)
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.fast:
        fp = Config.fromfile(FAST_PATH_BASE)
        cfg.runner_type = fp.runner_type
        cfg.fast_path = fp.fast_path
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = 'none'
    cfg.train_cfg.max_epochs = args.epochs
    cfg.train_cfg.val_interval = args.epochs
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=args.epochs)
    cfg.work_dir = args.work_dir or tempfile.mkdtemp(prefix='loss_trace_')
    runner = build_runner(cfg)
    runner.train()
    hub = runner.message_hub
    trace = {k: [float(v) for v in buf.data[0]] for k, buf in hub.log_scalars.items()
             if k.startswith('train/') and k not in SKIP}
    metrics = {k[4:]: buf.current() for k, buf in hub.log_scalars.items()
               if k.startswith('val/')}
    with open(args.out, 'w') as f:
        json.dump(dict(config=args.config, fast=args.fast, trace=trace, metrics=metrics), f)
    print(f'{args.out}: ' + ', '.join(f'{k} x{len(v)}' for k, v in trace.items()))


if __name__ == '__main__':
    sys.exit(main())
