"""Stage 2 of decoupled training starts from a stage-1 checkpoint: require it, check it, and
re-initialise the classifier when the recipe asks for it (cRT)."""
import os.path as osp
from typing import Sequence, Union

import torch
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmpretrain.registry import HOOKS

from mmltr.utils import unwrap_model

#: ``checkpoint['meta']`` key of the checkpoints a stage-2 run saves (so resuming them is not
#: mistaken for starting from stage 1).
META_KEY = 'stage2_from'


def _strip(key: str) -> str:
    return key[len('module.'):] if key.startswith('module.') else key


@HOOKS.register_module()
class Stage1CheckpointHook(Hook):
    """Load stage 2 from a stage-1 checkpoint (Kang et al., Decoupling Representation and
    Classifier for Long-Tailed Recognition, ICLR 2020, https://arxiv.org/abs/1910.09217).

    Only training runs are affected (``tools/test.py`` with a stage-2 config loads its checkpoint
    as it is).

    * Before the run: training without ``load_from`` (and without ``resume``) is refused with an
      error naming ``load_from``; so is a local ``load_from`` file that does not exist.
    * When a stage-1 checkpoint is loaded (``after_load_checkpoint``, before its weights reach the
      model): every tensor under ``classifier`` (default ``'head'``) whose shape differs from the
      model's is an error naming both class counts (a checkpoint of another dataset). Then the
      keys under each prefix in ``reinit`` are dropped from the checkpoint, so those modules keep
      the initialisation of the config (``init_cfg``, seeded): cRT re-initialises the classifier
      with ``reinit=('head', )``; LWS and LAS keep it (``reinit=()``).
    * Before training: a run that loaded no checkpoint at all (``resume=True`` with an empty work
      dir) is refused, naming ``load_from``.
    * Checkpoints saved by the stage-2 run carry ``meta['stage2_from']`` (the stage-1 file);
      resuming one, or loading one with ``load_from``, keeps all its weights.

    Args:
        reinit (str | Sequence[str]): prefixes of the model's state-dict keys to re-initialise
            instead of loading from the stage-1 checkpoint, e.g. ``'head'`` or ``'head.fc'``.
            Defaults to ``()`` (load everything).
        classifier (str): the classifier's prefix, whose shapes are checked. Defaults to
            ``'head'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, reinit: Union[str, Sequence[str]] = (), classifier: str = 'head') -> None:
        prefixes = [reinit] if isinstance(reinit, str) else list(reinit)
        if not all(isinstance(p, str) and p for p in prefixes):
            raise ValueError(f'Stage1CheckpointHook: reinit must be module prefixes such as '
                             f"'head', got {reinit!r}.")
        self.reinit = [p.rstrip('.') for p in prefixes]
        self.classifier = classifier.rstrip('.')
        self._loaded = False
        self._training = False
        self._source = None

    def before_run(self, runner) -> None:
        self._loaded = False
        # Runner.train() builds the train loop before before_run; test()/val() leave it a dict.
        self._training = isinstance(getattr(runner, '_train_loop', None), BaseLoop)
        if not self._training:
            return
        load_from = getattr(runner, '_load_from', None)
        resume = bool(getattr(runner, '_resume', False))
        self._source = load_from
        if not resume and not load_from:
            raise ValueError(
                'Stage1CheckpointHook: this is a stage-2 config, it starts from a stage-1 '
                'checkpoint, but load_from is not set: pass --cfg-options '
                'load_from=work_dirs/<stage-1 config>/epoch_<N>.pth (or set load_from in the '
                'config).')
        if load_from and '://' not in str(load_from) and not osp.isfile(load_from):
            raise FileNotFoundError(
                f'Stage1CheckpointHook: load_from={load_from!r} does not exist: train the stage-1 '
                'config first (tools/train.py <stage-1 config>) or point load_from at its '
                'checkpoint.')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = True
        if not self._training:
            return
        meta = checkpoint.get('meta') or {}
        if META_KEY in meta:  # a stage-2 checkpoint (resume): keep everything
            self._source = meta[META_KEY]
            return
        state = checkpoint.get('state_dict', checkpoint)
        model_state = unwrap_model(runner.model).state_dict()
        self._check_classes(runner, state, model_state)
        dropped = [k for k in state
                   if any(_strip(k) == p or _strip(k).startswith(p + '.') for p in self.reinit)]
        params = dict(unwrap_model(runner.model).named_parameters())
        frozen = sorted(_strip(k) for k in dropped
                        if _strip(k) in params and not params[_strip(k)].requires_grad)
        if frozen:
            raise ValueError(
                f'Stage1CheckpointHook: reinit={self.reinit} would re-initialise {frozen}, which '
                'this config does not train (requires_grad=False, e.g. '
                'DecoupledClsHead(train_weights=False) for LWS): they would stay random. Keep the '
                'stage-1 classifier with reinit=().')
        for key in dropped:
            del state[key]
        if dropped:
            runner.logger.info(
                f'Stage1CheckpointHook: re-initialising {", ".join(self.reinit)}: not loading '
                f'{", ".join(sorted(_strip(k) for k in dropped))} from the stage-1 checkpoint.')

    def _check_classes(self, runner, state: dict, model_state: dict) -> None:
        prefix = self.classifier + '.'
        head = unwrap_model(getattr(unwrap_model(runner.model), self.classifier, None))
        num_classes = getattr(head, 'num_classes', None)
        for key, value in state.items():
            name = _strip(key)
            if not name.startswith(prefix) or name not in model_state:
                continue
            own = model_state[name]
            if not isinstance(value, torch.Tensor) or own.numel() == 0 or \
                    tuple(value.shape) == tuple(own.shape):
                continue
            ckpt_classes = value.shape[0] if value.dim() else None
            raise ValueError(
                f'Stage1CheckpointHook: the stage-1 checkpoint {self._source} has a classifier '
                f'for {ckpt_classes} classes ({name}: {tuple(value.shape)}) but the model has '
                f'num_classes={num_classes} ({tuple(own.shape)}): use the stage-1 checkpoint of '
                'the same dataset, or set model.head.num_classes to match it.')

    def before_train(self, runner) -> None:
        if self._training and not self._loaded:
            raise ValueError(
                'Stage1CheckpointHook: no checkpoint was loaded (resume=True found none in the '
                'work dir): a stage-2 run starts from a stage-1 checkpoint; set load_from to it.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[META_KEY] = self._source
