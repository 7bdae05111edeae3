"""Every config under configs/ loads (once per session), keeps the plugin conventions, names only
registered components, builds every pipeline step, pairs a multi-view pipeline with the multi-view
data preprocessor and classifier, and builds its model (once per distinct model) with a head as
wide as its classes."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATA_SAMPLERS, DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS

import mmltr  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


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


def _pipelines(obj):
    """Every list under a `pipeline` key nested in a config node."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == 'pipeline' and isinstance(v, (list, tuple)):
                yield v
            else:
                yield from _pipelines(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _pipelines(v)


_models = {}  # distinct model config -> built model


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_loads_and_builds(path, config_loader):
    cfg = config_loader(path)
    assert cfg.default_scope == 'mmpretrain'
    assert 'mmltr' in cfg.custom_imports['imports']
    assert cfg.custom_imports.get('allow_failed_imports', False) is False
    hooks = cfg.get('custom_hooks', [])
    assert any(h['type'] == 'LongTailLossHook' for h in hooks)

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        # Datasets, samplers, metrics and hooks named in the config are registered.
        for loader in LOADERS:
            if cfg.get(loader):
                for t in _types(cfg[loader]['dataset']):  # wrapped datasets, pipelines
                    assert DATASETS.get(t) is not None or TRANSFORMS.get(t) is not None, t
                assert DATA_SAMPLERS.get(cfg[loader]['sampler']['type']) is not None
        for name in ('val_evaluator', 'test_evaluator'):
            ev = cfg.get(name)
            for m in (ev if isinstance(ev, list) else [ev] if ev else []):
                assert METRICS.get(m['type']) is not None, m['type']
        for h in hooks:
            assert HOOKS.get(h['type']) is not None, h['type']
        # every transform (AutoAugment/RandAugment policies included) builds, also the meta set's
        for pipeline in _pipelines([cfg.get(loader) for loader in LOADERS] + list(hooks)):
            for t in pipeline:
                TRANSFORMS.build(t)

        key = json.dumps(cfg.model.to_dict(), sort_keys=True, default=str)
        if key not in _models:
            _models[key] = MODELS.build(cfg.model)
    # multi-view training (BCL): the pipeline, the data preprocessor and the model go together
    multi_view = 'MultiView' in set(_types(cfg.train_dataloader))
    assert multi_view == (cfg.model.type == 'BCLClassifier')
    assert multi_view == (cfg.get('data_preprocessor', {}).get('type')
                          == 'MultiViewClsDataPreprocessor')
    head = cfg.model.head
    feats = (torch.randn(2, head.in_channels), )
    assert _models[key].head(feats).shape == (2, head.num_classes)
    if cfg.get('data_preprocessor', {}).get('num_classes') is not None:
        assert cfg.data_preprocessor.num_classes == head.num_classes
