"""Dump the resolved text of every config under ``configs/`` (one file per config).

    python tools/misc/dump_configs.py --out-dir work_dirs/config_dump [--root configs]

Each ``configs/<path>.py`` (``_base_`` pieces excluded) is loaded with ``Config.fromfile`` and its
``pretty_text`` written to ``<out-dir>/<path>.txt``. Two dumps compare with ``diff -r``: a
refactoring that must not change any config shows no difference.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def config_files(root: str):
    """Every leaf config below ``root`` (``_base_`` folders skipped), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != '_base_')
        out += [osp.join(dirpath, f) for f in sorted(filenames) if f.endswith('.py')]
    return sorted(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', default=osp.join(ROOT, 'configs'))
    p.add_argument('--out-dir', required=True)
    args = p.parse_args(argv)
    files = config_files(args.root)
    for path in files:
        rel = osp.relpath(path, args.root)
        out = osp.join(args.out_dir, osp.splitext(rel)[0] + '.txt')
        os.makedirs(osp.dirname(out), exist_ok=True)
        with open(out, 'w') as f:
            f.write(Config.fromfile(path).pretty_text)
    print(f'{len(files)} configs dumped to {args.out_dir}')


if __name__ == '__main__':
    sys.exit(main())
