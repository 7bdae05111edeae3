"""Two optimizers for Difficulty-Net training: SGD for the classifier, Adam for Difficulty-Net."""
import copy

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS

from mmltr.utils import unwrap_model

KEYS = ('model', 'difficulty_net')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DifficultyNetOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one wrapper for the classifier, one for Difficulty-Net.

    Config::

        optim_wrapper = dict(
            constructor='DifficultyNetOptimWrapperConstructor',
            model=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4),
                       paramwise_cfg=dict(...)),          # optional, as for a single optimizer
            difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-5, weight_decay=1e-4)))
        param_scheduler = dict(model=[...], difficulty_net=[])  # schedules per optimizer

    The ``difficulty_net`` wrapper optimizes the model's child of that name
    (:class:`mmltr.models.classifiers.DifficultyNetClassifier`); the ``model`` wrapper every other
    parameter (backbone, neck, head), with ``paramwise_cfg`` names as in a plain
    ``ImageClassifier`` (``backbone.*``, ``head.*``). A top-level ``type``/``loss_scale`` (what
    ``tools/train.py --amp`` sets) is applied to the model's wrapper only: the meta step itself
    always runs in fp32 and Difficulty-Net's wrapper stays a plain ``OptimWrapper``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None) -> None:
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        self.top_type = cfg.pop('type', None)
        self.top_loss_scale = cfg.pop('loss_scale', None)
        if paramwise_cfg is not None:
            raise ValueError('DifficultyNetOptimWrapperConstructor: put paramwise_cfg inside the '
                             "'model' (or 'difficulty_net') entry, not at the top level.")
        if set(cfg) != set(KEYS) or not all(isinstance(v, dict) for v in cfg.values()):
            raise ValueError(
                'DifficultyNetOptimWrapperConstructor expects exactly two optimizer wrapper '
                "configs, model=dict(optimizer=...) and difficulty_net=dict(optimizer=...), "
                f'got keys {sorted(cfg)}.')
        for name, sub in cfg.items():
            if 'optimizer' not in sub:
                raise ValueError(f"optim_wrapper.{name} has no 'optimizer'.")
        self.cfgs = cfg  # in config order (the order of the OptimWrapperDict)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = unwrap_model(model)
        if not isinstance(getattr(model, 'difficulty_net', None), nn.Module):
            raise TypeError('DifficultyNetOptimWrapperConstructor needs a model with a '
                            '`difficulty_net` child (DifficultyNetClassifier), got '
                            f'{type(model).__name__}.')
        own = [n for n, _ in model.named_parameters(recurse=False)]
        if own:
            raise ValueError(f'DifficultyNetOptimWrapperConstructor: parameters {own} directly on '
                             'the model are not supported.')
        # The classifier without Difficulty-Net, with the children's names kept for paramwise_cfg.
        rest = nn.Module()
        for name, child in model.named_children():
            if name != 'difficulty_net':
                rest.add_module(name, unwrap_model(child))
        targets = dict(model=rest, difficulty_net=unwrap_model(model.difficulty_net))

        wrappers = {}
        for name, sub in self.cfgs.items():
            sub = dict(sub)
            paramwise = sub.pop('paramwise_cfg', None)
            if name == 'model':
                if self.top_type is not None:
                    sub['type'] = self.top_type
                if self.top_loss_scale is not None:
                    sub.setdefault('loss_scale', self.top_loss_scale)
            elif sub.get('type', 'OptimWrapper') != 'OptimWrapper':
                raise ValueError("Difficulty-Net's optimizer wrapper must be a plain "
                                 "'OptimWrapper' (the meta step runs in fp32).")
            wrappers[name] = DefaultOptimWrapperConstructor(sub, paramwise)(targets[name])
        return OptimWrapperDict(**wrappers)
