"""Every config under configs/ loads, keeps the plugin conventions and builds its model."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmltr  # noqa: F401
from mmpretrain.registry import DATA_SAMPLERS, DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))


def _types(obj):
    """Every `type=` string nested in a config node."""
    if isinstance(obj, dict):
        if isinstance(obj.get('type'), str):
            yield obj['type']
        for v in obj.values():
            yield from _types(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _types(v)


def test_there_are_configs():
    assert len(CONFIGS) >= 1


_built = {}


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_loads_and_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert 'mmltr' in cfg.custom_imports['imports']
    assert cfg.custom_imports.get('allow_failed_imports', False) is False
    assert any(h['type'] == 'LongTailLossHook' for h in cfg.get('custom_hooks', []))

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        # Datasets, samplers, metrics and hooks named in the config are registered.
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if cfg.get(loader):
                ds = cfg[loader]['dataset']
                # every dataset and transform type inside (wrapped datasets, pipelines)
                for t in _types(ds):
                    assert DATASETS.get(t) is not None or TRANSFORMS.get(t) is not None, t
                assert DATA_SAMPLERS.get(cfg[loader]['sampler']['type']) is not None
        for name in ('val_evaluator', 'test_evaluator'):
            ev = cfg.get(name)
            for m in (ev if isinstance(ev, list) else [ev] if ev else []):
                assert METRICS.get(m['type']) is not None, m['type']
        for h in cfg.get('custom_hooks', []):
            assert HOOKS.get(h['type']) is not None, h['type']

        key = json.dumps(cfg.model.to_dict(), sort_keys=True, default=str)
        if key not in _built:
            model = MODELS.build(cfg.model)
            _built[key] = sum(p.numel() for p in model.parameters())
        assert _built[key] > 0
