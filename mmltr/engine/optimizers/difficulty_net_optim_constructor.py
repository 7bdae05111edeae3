"""Two optimizers for Difficulty-Net training: SGD for the classifier, Adam for Difficulty-Net."""
import copy
from collections import OrderedDict

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS


def _unwrap(module: nn.Module) -> nn.Module:
    return module.module if is_model_wrapper(module) else module


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DifficultyNetOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one wrapper for the classifier, one for Difficulty-Net.

    Config (the keys are the model's ``model_optim_key`` / ``dn_optim_key``)::

        optim_wrapper = dict(
            constructor='DifficultyNetOptimWrapperConstructor',
            model=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4),
                       paramwise_cfg=dict(...)),          # optional, as for a single optimizer
            difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-5, weight_decay=1e-4)))
        param_scheduler = dict(model=[...], difficulty_net=[])  # schedules per optimizer

    The ``difficulty_net`` wrapper optimizes the model's child of that name; the ``model`` wrapper
    every other parameter (backbone, neck, head), with ``paramwise_cfg`` names as in a plain
    ``ImageClassifier`` (``backbone.*``, ``head.*``). A top-level ``type``/``loss_scale`` (what
    ``tools/train.py --amp`` sets) is applied to the model's wrapper only: the meta step itself
    always runs in fp32 and Difficulty-Net's wrapper stays a plain ``OptimWrapper``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None) -> None:
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        top_type = cfg.pop('type', None)
        top_loss_scale = cfg.pop('loss_scale', None)
        if paramwise_cfg is not None:
            raise ValueError('DifficultyNetOptimWrapperConstructor: put paramwise_cfg inside the '
                             "'model' (or 'difficulty_net') entry, not at the top level.")
        if len(cfg) != 2 or not all(isinstance(v, dict) for v in cfg.values()):
            raise ValueError(
                'DifficultyNetOptimWrapperConstructor expects exactly two optimizer wrapper '
                "configs, e.g. model=dict(optimizer=...) and difficulty_net=dict(optimizer=...), "
                f'got keys {sorted(cfg)}.')
        self.cfgs = OrderedDict()
        for name, sub in cfg.items():
            sub = dict(sub)
            if 'optimizer' not in sub:
                raise ValueError(f"optim_wrapper.{name} has no 'optimizer'.")
            self.cfgs[name] = sub
        self.top_type = top_type
        self.top_loss_scale = top_loss_scale

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = _unwrap(model)
        dn_key = getattr(model, 'dn_optim_key', None)
        model_key = getattr(model, 'model_optim_key', None)
        if dn_key is None or model_key is None:
            raise TypeError('DifficultyNetOptimWrapperConstructor needs a model with '
                            '`model_optim_key`/`dn_optim_key` (DifficultyNetClassifier), got '
                            f'{type(model).__name__}.')
        if set(self.cfgs) != {dn_key, model_key}:
            raise ValueError(f"optim_wrapper needs the keys '{model_key}' and '{dn_key}', got "
                             f'{sorted(self.cfgs)}.')
        # The classifier without Difficulty-Net, with the children's names kept for paramwise_cfg.
        rest = nn.Module()
        for name, child in model.named_children():
            if name != dn_key:
                rest.add_module(name, _unwrap(child))
        own = [n for n, _ in model.named_parameters(recurse=False)]
        if own:
            raise ValueError(f'DifficultyNetOptimWrapperConstructor: parameters {own} directly on '
                             'the model are not supported.')
        targets = {model_key: rest, dn_key: _unwrap(getattr(model, dn_key))}

        wrappers = OrderedDict()
        for name, sub in self.cfgs.items():
            sub = dict(sub)
            paramwise = sub.pop('paramwise_cfg', None)
            if name == model_key:
                if self.top_type is not None:
                    sub['type'] = self.top_type
                if self.top_loss_scale is not None:
                    sub.setdefault('loss_scale', self.top_loss_scale)
            elif sub.get('type', 'OptimWrapper') != 'OptimWrapper':
                raise ValueError("Difficulty-Net's optimizer wrapper must be a plain "
                                 "'OptimWrapper' (the meta step runs in fp32).")
            wrappers[name] = DefaultOptimWrapperConstructor(sub, paramwise)(targets[name])
        return OptimWrapperDict(**wrappers)
