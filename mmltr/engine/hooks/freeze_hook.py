"""Freezing parts of a model (the representation in decoupled stage-2 training)."""
from typing import Sequence, Union

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmpretrain.registry import HOOKS
from torch.nn.parallel import DistributedDataParallel

from mmltr.utils import unwrap_model


def _stay_in_eval(module: nn.Module, args) -> None:
    """Forward pre-hook of a frozen module: back to eval mode if something set it training."""
    if module.training:
        module.eval()


def freeze_module(module: nn.Module) -> None:
    """``requires_grad=False`` on every parameter of ``module``, eval mode now and at every
    forward (the training loops call ``model.train()`` each epoch), so BatchNorm uses and keeps its
    running statistics and dropout is off."""
    for p in module.parameters():
        p.requires_grad_(False)
    module.eval()
    if _stay_in_eval not in module._forward_pre_hooks.values():
        module.register_forward_pre_hook(_stay_in_eval)


@HOOKS.register_module()
class FreezeHook(Hook):
    """Freeze sub-modules of the model: their weights **and** their BatchNorm statistics.

    Works for any backbone (MMPretrain's ``frozen_stages``/``norm_eval`` exist only on some):
    before the run, every parameter of the named modules gets ``requires_grad=False`` (no gradient
    is computed for them, so no optimizer moves them, weight decay included) and the modules are
    put in eval mode, which a forward pre-hook restores whenever a training loop calls
    ``model.train()``: BatchNorm then normalises with, and never updates, its running statistics,
    and dropout is off. After training the frozen weights and buffers are bit-identical to those
    the run started from (``load_from``).

    **DDP.** MMEngine wraps the model in ``DistributedDataParallel`` before any hook runs, so DDP
    has registered the frozen parameters and would wait for their gradients (an error at the
    second iteration). Under DDP this hook therefore requires ``find_unused_parameters=True``
    (``configs/_base_/stage2_runtime.py`` sets it), with which DDP marks them as unused in every
    iteration and leaves them untouched; it refuses the run otherwise, before the first iteration.
    A module that has no parameter to train at all is better frozen by the model config itself
    (e.g. ``DecoupledClsHead(train_weights=False)``), which DDP then never registers.

    Only training runs are affected (``tools/test.py`` with a stage-2 config runs as usual).

    Args:
        modules (str | Sequence[str]): names of sub-modules of the (unwrapped) model, dotted for
            nested ones, e.g. ``('backbone', 'neck')`` or ``'backbone.layer1'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, modules: Union[str, Sequence[str]] = ('backbone', 'neck')) -> None:
        names = [modules] if isinstance(modules, str) else list(modules)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f'FreezeHook: modules must be one or more sub-module names such as '
                             f"('backbone', 'neck'), got {modules!r}.")
        self.modules = names

    def _resolve(self, model: nn.Module):
        found = dict(model.named_modules())
        missing = [n for n in self.modules if n not in found]
        if missing:
            top = sorted(n for n in found if n and '.' not in n)
            raise ValueError(f'FreezeHook: the model ({type(model).__name__}) has no sub-module '
                             f'{missing}; its top-level modules are {top}. Set '
                             'FreezeHook(modules=[...]) to names from that list (dotted for '
                             'nested modules).')
        return [found[n] for n in self.modules]

    def before_run(self, runner) -> None:
        # only training runs: Runner.train() builds the train loop before before_run, while
        # test()/val() leave it a dict (a test run has nothing to freeze)
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return
        model = unwrap_model(runner.model)
        targets = self._resolve(model)
        frozen = {id(p) for m in targets for p in m.parameters()}
        self._check_ddp(runner.model, frozen)
        for module in targets:
            freeze_module(module)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        runner.logger.info(
            f'FreezeHook: froze {", ".join(self.modules)} ({len(frozen)} parameter '
            f'tensors, BatchNorm statistics in eval mode); {trainable} parameters stay trainable.')
        if trainable == 0:
            raise ValueError(f'FreezeHook: freezing {self.modules} leaves no trainable parameter '
                             'in the model: nothing would be trained.')

    def _check_ddp(self, wrapped: nn.Module, frozen: set) -> None:
        for ddp in [m for m in wrapped.modules() if isinstance(m, DistributedDataParallel)]:
            registered = any(id(p) in frozen and p.requires_grad for p in ddp.module.parameters())
            if registered and not ddp.find_unused_parameters:
                raise ValueError(
                    f'FreezeHook: {", ".join(self.modules)} were registered with '
                    'DistributedDataParallel (MMEngine wraps the model before hooks run), which '
                    'then waits for their gradients: set find_unused_parameters=True in the '
                    "config (or model_wrapper_cfg=dict(type='MMDistributedDataParallel', "
                    'find_unused_parameters=True)), as configs/_base_/stage2_runtime.py does.')
