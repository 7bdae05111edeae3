"""Dump the resolved text of every config under ``configs/`` (one file per config).

    python tools/misc/dump_configs.py --out-dir work_dirs/config_dump [--root configs]
                                      [--fill-defaults]

Each ``configs/<path>.py`` (``_base_`` pieces excluded) is loaded with ``Config.fromfile`` and its
``pretty_text`` written to ``<out-dir>/<path>.txt``. Two dumps compare with ``diff -r``: a
refactoring that must not change any config shows no difference.

``--fill-defaults`` first completes every ``type=`` dict whose class is registered in MMPretrain's
``MODELS`` registry and defined in mmltr (losses, heads, classifiers, backbones) with the
constructor arguments it leaves out, at their default values from the class signature (and from
the signatures of the mmltr base classes it passes ``**kwargs`` to). A config that omits a
default-valued argument then dumps exactly like one that spells it out, so a dump with this flag
compares what the models are built with, not how the configs are written.
"""
import argparse
import copy
import inspect
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def config_files(root: str):
    """Every leaf config below ``root`` (``_base_`` folders skipped), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != '_base_')
        out += [osp.join(dirpath, f) for f in sorted(filenames) if f.endswith('.py')]
    return sorted(out)


def constructor_defaults(cls) -> dict:
    """``{argument: default}`` of ``cls.__init__``, following ``**kwargs`` into mmltr bases."""
    defaults = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if not klass.__module__.startswith('mmltr.'):
            break
        params = list(inspect.signature(init).parameters.values())[1:]  # without self
        for p in params:
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is not p.empty:
                defaults.setdefault(p.name, p.default)
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return defaults


def _mmltr_model_class(type_name):
    from mmpretrain.registry import MODELS
    if not isinstance(type_name, str):
        return None
    cls = MODELS.get(type_name)
    module = getattr(cls, '__module__', '') or ''
    return cls if inspect.isclass(cls) and module.startswith('mmltr.') else None


def fill_defaults(node) -> None:
    """Add the missing default-valued arguments to every mmltr model dict inside ``node``."""
    if isinstance(node, dict):
        cls = _mmltr_model_class(node.get('type'))
        if cls is not None:
            for name, default in constructor_defaults(cls).items():
                if name not in node:
                    node[name] = copy.deepcopy(default)
        for value in node.values():
            fill_defaults(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            fill_defaults(value)


def dump_text(path: str, with_defaults: bool = False) -> str:
    """The resolved ``pretty_text`` of the config at ``path``."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(path)
    if with_defaults:
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
            fill_defaults(cfg._cfg_dict)
    return cfg.pretty_text


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', default=osp.join(ROOT, 'configs'))
    p.add_argument('--out-dir', required=True)
    p.add_argument('--fill-defaults', action='store_true',
                   help="complete mmltr models' type= dicts with their default arguments")
    args = p.parse_args(argv)
    files = config_files(args.root)
    for path in files:
        rel = osp.relpath(path, args.root)
        out = osp.join(args.out_dir, osp.splitext(rel)[0] + '.txt')
        os.makedirs(osp.dirname(out), exist_ok=True)
        with open(out, 'w') as f:
            f.write(dump_text(path, args.fill_defaults))
    print(f'{len(files)} configs dumped to {args.out_dir}')


if __name__ == '__main__':
    sys.exit(main())
