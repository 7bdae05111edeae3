"""DifficultyNetOptimWrapperConstructor: SGD on the classifier, Adam on Difficulty-Net."""
import pytest
import torch.nn as nn
from _difficulty_net_toys import OPTIM, build, build_ow
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpretrain.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module(name='DNTestAmpLikeWrapper', force=True)
class AmpLikeWrapper(OptimWrapper):
    pass


def test_optimizer_constructor_splits_parameters():
    model, ow = build()
    assert isinstance(ow, OptimWrapperDict) and list(ow.keys()) == ['model', 'difficulty_net']
    dn_ids = {id(p) for p in model.difficulty_net.parameters()}
    model_ids = {id(p) for g in ow['model'].param_groups for p in g['params']}
    adam_ids = {id(p) for g in ow['difficulty_net'].param_groups for p in g['params']}
    assert adam_ids == dn_ids and not (model_ids & dn_ids)
    assert model_ids == {id(p) for n, p in model.named_parameters()
                         if not n.startswith('difficulty_net')}
    assert type(ow['difficulty_net'].optimizer).__name__ == 'Adam'
    assert type(ow['model'].optimizer).__name__ == 'SGD'
    # --amp on the command line sets a top-level type: it goes to the model's wrapper only.
    # (AmpOptimWrapper needs a GPU: a registered stand-in shows the routing)
    amp = build_ow(model, dict(OPTIM, type='DNTestAmpLikeWrapper'))
    assert type(amp['model']) is AmpLikeWrapper
    assert type(amp['difficulty_net']) is OptimWrapper


def test_paramwise_cfg_names_as_in_a_plain_classifier():
    model, _ = build()
    cfg = dict(OPTIM, model=dict(OPTIM['model'],
                                 paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=0.5)})))
    ow = build_ow(model, cfg)
    head_ids = {id(p) for p in model.head.parameters()}
    lrs = {id(p): g['lr'] for g in ow['model'].param_groups for p in g['params']}
    assert all(lrs[i] == 0.05 for i in head_ids)
    assert {lr for i, lr in lrs.items() if i not in head_ids} == {0.1}


def test_constructor_errors():
    model, _ = build()
    with pytest.raises(ValueError, match='exactly two'):
        build_ow(model, dict(constructor='DifficultyNetOptimWrapperConstructor',
                             model=OPTIM['model']))
    with pytest.raises(ValueError, match='exactly two'):  # the keys are fixed
        build_ow(model, dict(constructor='DifficultyNetOptimWrapperConstructor',
                             model=OPTIM['model'], dn=OPTIM['difficulty_net']))
    with pytest.raises(ValueError, match="has no 'optimizer'"):
        build_ow(model, dict(OPTIM, difficulty_net=dict(type='OptimWrapper')))
    with pytest.raises(ValueError, match="plain 'OptimWrapper'"):
        build_ow(model, dict(OPTIM, difficulty_net=dict(OPTIM['difficulty_net'],
                                                        type='DNTestAmpLikeWrapper')))
    with pytest.raises(ValueError, match='paramwise_cfg inside'):
        build_ow(model, dict(OPTIM, paramwise_cfg=dict()))
    with pytest.raises(TypeError, match='difficulty_net'):
        build_ow(nn.Linear(2, 2))
