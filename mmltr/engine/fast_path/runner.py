"""Switching a config to the fast path: ``configs/_base_/fast_path.py`` and ``FastPathRunner``.

MMEngine forbids the same top-level key in two ``_base_`` files, and every schedule base defines
``train_cfg``/``val_cfg``/``test_cfg``; so ``configs/_base_/fast_path.py`` does not set the loops
itself. It sets ``runner_type = 'FastPathRunner'`` and a ``fast_path`` dict, and
:class:`FastPathRunner` rewrites the loop configs when the runner is built
(:func:`apply_fast_path`): ``train_cfg`` becomes ``GPUEpochBasedTrainLoop`` with its epochs and
validation interval kept, ``val_cfg``/``test_cfg`` become ``GPUValLoop``/``GPUTestLoop``
(``None`` stays ``None``). ``fast_path.enable=False`` (e.g. ``--cfg-options
fast_path.enable=False``) turns it off again. ``tools/train.py``/``tools/test.py`` (like
MMPretrain's) build ``RUNNERS.build(cfg)`` when a config has ``runner_type``.

Without the base, the same switch from the command line::

    --cfg-options train_cfg.type=GPUEpochBasedTrainLoop val_cfg.type=GPUValLoop \\
        test_cfg.type=GPUTestLoop
"""
import copy

from mmengine.runner import Runner
from mmpretrain.registry import RUNNERS

FAST_LOOPS = dict(train='GPUEpochBasedTrainLoop', val='GPUValLoop', test='GPUTestLoop')


def apply_fast_path(cfg):
    """Rewrite ``cfg``'s loops for the fast path if ``cfg.fast_path`` asks for it (in place).

    Returns ``cfg``. Options in ``fast_path.train``/``val``/``test`` are added to the loop configs;
    ``fast_path.cudnn_benchmark`` (if given) sets ``env_cfg.cudnn_benchmark``.
    """
    fp = cfg.get('fast_path', None)
    if not fp or not fp.get('enable', True):
        return cfg
    if fp.get('cudnn_benchmark', None) is not None:
        cfg.setdefault('env_cfg', {})['cudnn_benchmark'] = bool(fp['cudnn_benchmark'])
    train_cfg = cfg.get('train_cfg', None)
    if train_cfg is not None:
        t = copy.deepcopy(dict(train_cfg))
        kind = t.pop('type', None)
        if kind not in (None, 'EpochBasedTrainLoop', FAST_LOOPS['train']):
            raise ValueError(f'fast_path: train_cfg.type={kind!r}; the fast path replaces an '
                             'epoch-based loop only.')
        if not t.pop('by_epoch', True):
            raise ValueError('fast_path: train_cfg.by_epoch=False; the fast path is epoch based.')
        t.update(fp.get('train', None) or {})
        cfg.train_cfg = dict(type=FAST_LOOPS['train'], **t)
    for stage in ('val', 'test'):
        key = f'{stage}_cfg'
        loop = cfg.get(key, None)
        if loop is None:
            continue
        t = copy.deepcopy(dict(loop))
        kind = t.pop('type', None)
        if kind not in (None, 'ValLoop', 'TestLoop', FAST_LOOPS[stage]):
            raise ValueError(f'fast_path: {key}.type={kind!r} is not a standard loop.')
        t.update(fp.get(stage, None) or {})
        cfg[key] = dict(type=FAST_LOOPS[stage], **t)
    return cfg


@RUNNERS.register_module()
class FastPathRunner(Runner):
    """MMEngine's ``Runner``; ``from_cfg`` first applies :func:`apply_fast_path`."""

    @classmethod
    def from_cfg(cls, cfg) -> 'Runner':
        cfg = copy.deepcopy(cfg)
        apply_fast_path(cfg)
        return super().from_cfg(cfg)
