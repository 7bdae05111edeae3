"""Every stage-2 config (one with FreezeHook) is wired as decoupled training needs: a stage-1
checkpoint of an existing config with the same backbone and classes, the frozen representation,
DDP that tolerates it, class-balanced batches, and the classifier re-initialised exactly for cRT."""
import glob
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {
    osp.splitext(osp.basename(p))[0]: p
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep)
}


STAGE2_METHOD = re.compile(r'^(?:[\w-]+-)?(crt|crt-cosine|lws|las)_')  # {stage 1}-{stage 2}_...
STAGE2 = sorted(p for n, p in CONFIGS.items() if STAGE2_METHOD.match(n))
BALANCED = {'ClassAwareSampler'}


def _strip_init(backbone):
    return {k: v for k, v in backbone.items() if k != 'init_cfg'}


@pytest.mark.parametrize('path', STAGE2, ids=[osp.relpath(p, ROOT) for p in STAGE2])
def test_stage2_config(path, config_loader):
    cfg = config_loader(path)
    hooks = {h['type']: h for h in cfg.custom_hooks}
    assert tuple(hooks['FreezeHook']['modules']) == ('backbone', 'neck')
    assert cfg.find_unused_parameters is True and not cfg.get('model_wrapper_cfg')
    sampler = cfg.train_dataloader.sampler
    assert sampler.type in BALANCED, sampler
    # cRT re-initialises a plain linear/cosine classifier; LWS and LAS keep the stage-1 one
    head = cfg.model.head
    reinit = tuple(hooks['Stage1CheckpointHook'].get('reinit', ()))
    if head.type == 'DecoupledClsHead':
        assert reinit == () and head.scales
    else:
        assert head.type in ('LinearClsHead', 'CosineClsHead') and reinit == ('head', )

    # load_from: tools/train.py's work dir of an existing stage-1 config, its last epoch
    match = re.fullmatch(r'work_dirs/([^/]+)/epoch_(\d+)\.pth', cfg.load_from)
    assert match, cfg.load_from
    stage1_name, epoch = match.group(1), int(match.group(2))
    assert stage1_name in CONFIGS, f'{stage1_name}.py (the stage-1 config) does not exist'
    stage1 = config_loader(CONFIGS[stage1_name])
    assert 'FreezeHook' not in {h['type'] for h in stage1.custom_hooks}
    assert stage1.train_cfg.max_epochs == epoch
    assert _strip_init(stage1.model.backbone) == _strip_init(cfg.model.backbone)
    assert 'init_cfg' not in cfg.model.backbone  # weights come from load_from, no download
    assert stage1.model.get('neck') == cfg.model.get('neck')
    assert stage1.model.head.num_classes == head.num_classes
    assert stage1.model.head.in_channels == head.in_channels
    # the same training data (the long tail the backbone was trained on)
    for key in ('type', 'imbalance_factor', 'meta_per_class', 'ann_file', 'subset'):
        assert stage1.train_dataloader.dataset.get(key) == \
            cfg.train_dataloader.dataset.get(key), key


def test_every_config_with_frozen_modules_is_named_as_stage2(config_loader):
    assert len(STAGE2) >= 20
    for name, path in CONFIGS.items():
        hooks = {h['type'] for h in config_loader(path).get('custom_hooks', [])}
        assert ('FreezeHook' in hooks) == bool(STAGE2_METHOD.match(name)), name
