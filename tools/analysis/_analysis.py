"""Helpers shared by the analysis tools: a model from a config and a checkpoint, its test-split
predictions and pooled features, shot groups, and figure/JSON output."""
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402

import mmltr  # noqa: E402,F401
from mmltr.evaluation.metrics import shot_groups  # noqa: E402

GROUPS = ('many', 'medium', 'few')


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def check_state_dict(model: torch.nn.Module, state: Dict[str, torch.Tensor], ckpt: str) -> None:
    """Raise a ``ValueError`` naming every missing, unexpected or mis-shaped key.

    An empty buffer of the model (a count-aware loss's ``class_counts`` before the counts are
    known) takes the checkpoint's size on loading, so it is no mismatch.
    """
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                    for k in set(own) & set(state)
                    if hasattr(state[k], 'shape') and own[k].numel() > 0
                    and tuple(state[k].shape) != tuple(own[k].shape))
    if missing or unexpected or shapes:
        parts = [f'{what}: {keys[:20]}' + (f' (+{len(keys) - 20} more)' if len(keys) > 20 else '')
                 for what, keys in (('missing in the checkpoint', missing),
                                    ('unexpected in the checkpoint', unexpected),
                                    ('shape mismatch', shapes)) if keys]
        raise ValueError(f'checkpoint {ckpt} does not match the config\'s model; '
                         + '; '.join(parts) + '. Use the config the checkpoint was trained with.')


def build_model(cfg: Config, ckpt: str) -> torch.nn.Module:
    """The config's model with the checkpoint's weights (strict, see :func:`check_state_dict`).

    As MMEngine's ``Runner`` does, a top-level ``data_preprocessor`` (where MMPretrain's dataset
    configs put the normalisation) goes into the model unless the model sets its own: without it
    the inputs would reach the network un-normalised.
    """
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(model_cfg)
    checkpoint = torch.load(ckpt, map_location='cpu', weights_only=False)
    state = checkpoint.get('state_dict', checkpoint)
    check_state_dict(model, state, ckpt)
    model.load_state_dict(state)
    return model.eval()


def test_loader(cfg: Config, batch_size: Optional[int] = None, field: str = 'test_dataloader'):
    """The config's ``field`` loader (the test split by default) without worker processes."""
    loader_cfg = cfg.copy()[field]
    loader_cfg.update(num_workers=0, persistent_workers=False)
    if batch_size:
        loader_cfg['batch_size'] = batch_size
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        return Runner.build_dataloader(loader_cfg)


def pooled_features(model, inputs: torch.Tensor) -> torch.Tensor:
    """The (N, D) pooled features the head gets; a clear error for a model without them."""
    if not hasattr(model, 'extract_feat') or getattr(model, 'neck', None) is None:
        raise ValueError(f'{type(model).__name__} has no pooling neck: feature_angles needs a '
                         'classifier with pooled features (e.g. ImageClassifier with '
                         "neck=dict(type='GlobalAveragePooling')).")
    feats = model.extract_feat(inputs, stage='neck')
    feats = feats[-1] if isinstance(feats, (tuple, list)) else feats
    if feats.ndim != 2:
        raise ValueError(f'the neck of {type(model).__name__} gives features of shape '
                         f'{tuple(feats.shape)}, not pooled (N, D) features.')
    return feats


@torch.no_grad()
def run_test_split(model, loader, features: bool = False) -> dict:
    """Labels, predictions and (optionally) pooled features over the loader."""
    labels, preds, feats = [], [], []
    for data in loader:
        data = model.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        if features:
            feat = pooled_features(model, inputs)
            feats.append(feat)
            out = model.head.predict((feat, ), samples)
        else:
            out = model.predict(inputs, samples)
        labels += [int(s.gt_label) for s in out]
        preds += [int(s.pred_label) for s in out]
    result = dict(labels=np.asarray(labels), preds=np.asarray(preds))
    if features:
        result['features'] = torch.cat(feats).double().numpy()
    return result


def evaluate_checkpoint(cfg_path: str, ckpt: str, cfg_options: Optional[dict] = None,
                        features: bool = False) -> dict:
    """:func:`run_test_split` of a config's model with a checkpoint, plus ``cfg``, ``model``,
    ``loader``, the training ``counts`` and the class ``names`` (None when unknown)."""
    cfg = load_config(cfg_path, cfg_options)
    model = build_model(cfg, ckpt)
    loader = test_loader(cfg)
    counts = train_counts(loader)
    names = loader.dataset.metainfo.get('classes')
    result = run_test_split(model, loader, features)
    result.update(cfg=cfg, model=model, loader=loader, counts=counts,
                  names=None if names is None or len(names) != len(counts) else list(names))
    return result


def train_counts(loader) -> np.ndarray:
    counts = loader.dataset.metainfo.get('class_counts')
    if counts is None:
        raise ValueError('the test dataset has no metainfo["class_counts"] (the training counts): '
                         "use one of mmltr's long-tailed datasets.")
    return np.asarray(counts, dtype=np.int64)


def shot_thresholds(cfg: Config, many_thr: Optional[float] = None,
                    few_thr: Optional[float] = None) -> Tuple[float, float]:
    """``(many_thr, few_thr)``: the given ones, else those of the config's ``ShotAccuracy`` test
    evaluator, else ``ShotAccuracy``'s defaults (100, 20)."""
    evaluators = cfg.get('test_evaluator') or []
    evaluators = evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]
    metric = next((e for e in evaluators if isinstance(e, dict)
                   and e.get('type') in ('ShotAccuracy', 'mmltr.ShotAccuracy')), {})
    return (metric.get('many_thr', 100) if many_thr is None else many_thr,
            metric.get('few_thr', 20) if few_thr is None else few_thr)


def groups_of(counts, many_thr: float = 100, few_thr: float = 20) -> np.ndarray:
    return shot_groups(counts, many_thr, few_thr)


def save(fig, data: dict, out_prefix: str, formats: Tuple[str, ...] = ('png', )) -> List[str]:
    """``<out_prefix>.<fmt>`` for each format plus ``<out_prefix>.json`` (the plotted numbers)."""
    os.makedirs(osp.dirname(osp.abspath(out_prefix)), exist_ok=True)
    paths = []
    for fmt in formats:
        path = f'{out_prefix}.{fmt}'
        fig.savefig(path, dpi=100, bbox_inches='tight')
        paths.append(path)
    with open(f'{out_prefix}.json', 'w') as f:
        json.dump(data, f, indent=1, allow_nan=False)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return paths + [f'{out_prefix}.json']
