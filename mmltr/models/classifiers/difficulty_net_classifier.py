"""Difficulty-Net's bi-level meta-learning training step as an MMPretrain ``ImageClassifier``.

Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed Recognition,
WACV 2023, https://arxiv.org/abs/2209.02960. One training iteration as the paper describes it
(``meta_gradient='second_order'``, the default):

1. d = DN_φ(a), w = C·d/Σd; virtual SGD step θ' = θ − η ∇_θ mean_i w_{y_i} ℓ_i with the graph kept
   (``create_graph=True``, :func:`torch.func.functional_call`), η = the model optimizer's current lr
   (per parameter group);
2. meta loss = CE(f_θ'(x_meta), y_meta) + λ · MSE(d, d*); Adam step on φ;
3. w recomputed with the updated φ (no grad); real step of the model optimizer (SGD) on
   mean_i w_{y_i} ℓ_i.

**Published vs released.** The authors' released code (CIFAR, and the ImageNet/Places code alike)
builds the per-sample weights with ``torch.tensor(class_weights)``, which detaches them from
Difficulty-Net: the meta cross-entropy then gives Difficulty-Net exactly zero gradient and only
λ·driver trains it, which pulls the weights towards uniform. ``meta_gradient='driver_only'``
reproduces that: step 2 is an Adam step on λ·MSE(d, d*) alone (the virtual step and the meta
forward, whose gradient would be zero, are not computed), step 3 is unchanged. The numbers the
authors published were produced by their released code, i.e. by ``'driver_only'``; the paper's
text describes ``'second_order'``.

Design decisions (see also :class:`mmltr.engine.hooks.DifficultyNetHook`):

* **Optimizers.** ``optim_wrapper`` is an :class:`~mmengine.optim.OptimWrapperDict` with the keys
  ``'model'`` (everything except ``difficulty_net``) and ``'difficulty_net'``, built by
  :class:`mmltr.engine.optimizers.DifficultyNetOptimWrapperConstructor`. LR schedules go in
  ``param_scheduler=dict(model=[...], difficulty_net=[])`` so they never touch Adam.
* **Virtual step.** Plain SGD, no momentum and no weight decay (as in the authors' CIFAR code,
  ``update_params(lr_inner, grads)``, and in Shu et al., Meta-Weight-Net: Learning an Explicit
  Mapping For Sample Weighting, NeurIPS 2019, https://arxiv.org/abs/1902.07379), with the lr
  of each parameter's group in the model optimizer (so ``paramwise_cfg`` lr multipliers apply).
  ``meta_gradient='driver_only'`` skips it (see above).
* **BatchNorm.** The virtual and the meta forward use batch statistics (train mode, as the authors'
  model copy does) but run with *cloned* buffers, so running statistics and ``num_batches_tracked``
  are only updated by the real forward: after a step they are exactly those of a plain step.
* **ℓ.** The per-sample loss of the head's own ``loss_module`` called with
  ``reduction_override='none'`` (``CrossEntropyLoss`` → CE, ``BalancedSoftmaxLoss`` → balanced
  softmax, counts filled by ``LongTailLossHook``). The meta loss is always plain CE on the head's
  output (the head must return logits, e.g. ``LinearClsHead``).
* **Meta batches.** :class:`DifficultyNetHook` builds the meta loader (a balanced held-out set,
  test pipeline, DDP-sharded ``DefaultSampler`` with the runner's seed) and attaches an infinite
  iterator with :meth:`set_meta_loader`. Meta batches go through ``self.data_preprocessor`` with
  ``training=False`` (no Mixup/CutMix; hard labels are required).
* **Class accuracy.** ``class_acc`` is a persistent buffer (zeros before the first epoch), set by
  the hook after each epoch and saved/restored with checkpoints, like DN's weights; the Adam state
  is saved by mmengine with the ``OptimWrapperDict``.
* **DDP.** Use ``model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')``: mmengine's
  plain ``MMDistributedDataParallel.train_step`` never calls a module's ``train_step``. Under the
  separate wrapper each child (backbone, neck, head, difficulty_net) is its own DDP module. The
  virtual/meta forwards run on the *unwrapped* children (DDP does not support double backward),
  DN's gradients are averaged across ranks explicitly, and the real forward goes through the DDP
  children, which average the model's gradients as in a plain step.
"""
import warnings
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce, get_world_size
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch.func import functional_call

from mmltr.models.losses.utils import check_hard_labels
from mmltr.utils import unwrap_model

from .difficulty_net import difficulty_to_weights, driver_loss

META_GRADIENTS = ('second_order', 'driver_only')


def resolve_meta_gradient(meta_gradient: str, first_order: Optional[bool] = None) -> str:
    """``meta_gradient`` checked, with the deprecated ``first_order`` flag mapped onto it."""
    if meta_gradient not in META_GRADIENTS:
        raise ValueError(f'DifficultyNetClassifier: meta_gradient must be one of '
                         f'{META_GRADIENTS}, got {meta_gradient!r}.')
    if first_order is None:
        return meta_gradient
    warnings.warn(
        "DifficultyNetClassifier: first_order is deprecated; use meta_gradient='driver_only' (the "
        "authors' released code) or meta_gradient='second_order' (the paper).", DeprecationWarning)
    implied = 'driver_only' if first_order else 'second_order'
    if meta_gradient != 'second_order' and meta_gradient != implied:
        raise ValueError(f'DifficultyNetClassifier: first_order={first_order} contradicts '
                         f'meta_gradient={meta_gradient!r}; set meta_gradient only.')
    return implied


class _MetaLoaderRef:
    """Holds the meta iterator; shared by ``deepcopy`` (EMA copies, tests) and dropped by pickle."""

    def __init__(self, loader=None) -> None:
        self.loader = loader

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_MetaLoaderRef, ())


@MODELS.register_module()
class DifficultyNetClassifier(ImageClassifier):
    """Image classifier trained with Difficulty-Net class weights (meta-learned).

    Its child ``difficulty_net`` is trained by the optimizer wrapper ``'difficulty_net'`` of the
    ``OptimWrapperDict``, every other parameter by ``'model'``
    (:class:`mmltr.engine.optimizers.DifficultyNetOptimWrapperConstructor`).

    Args:
        backbone, neck, head, pretrained, train_cfg, data_preprocessor, init_cfg: as for
            :class:`mmpretrain.models.ImageClassifier`. The head's loss module gives ℓ and must
            accept ``reduction_override='none'``.
        difficulty_net (dict): config of :class:`DifficultyNet`, updating the default
            ``dict(type='DifficultyNet', hidden_dims=(128, 128), bias=False)``; ``num_classes``
            defaults to the head's.
        driver_weight (float): λ, the weight of the driver loss in the meta loss. Defaults to 0.3.
        meta_gradient (str): what trains Difficulty-Net: ``'second_order'`` (default, the
            paper: the meta CE through the virtual step, plus λ·driver) or ``'driver_only'``
            (the authors' released code, which produced the published numbers: λ·driver alone).
        first_order (bool, deprecated): ``True`` is ``meta_gradient='driver_only'`` (a detached
            virtual step gives Difficulty-Net the same, zero, meta-CE gradient).
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 difficulty_net: Optional[dict] = None,
                 driver_weight: float = 0.3,
                 meta_gradient: str = 'second_order',
                 first_order: Optional[bool] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, neck=neck, head=head, pretrained=pretrained,
                         train_cfg=train_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if self.head is None or not hasattr(self.head, 'num_classes'):
            raise ValueError('DifficultyNetClassifier needs a classification head with '
                             '`num_classes` (e.g. LinearClsHead).')
        if difficulty_net is not None and not isinstance(difficulty_net, dict):
            raise TypeError('DifficultyNetClassifier: difficulty_net must be a config dict, e.g. '
                            "dict(type='DifficultyNet', hidden_dims=(128, 128)), got "
                            f'{type(difficulty_net).__name__}.')
        num_classes = int(self.head.num_classes)
        dn_cfg = dict(type='DifficultyNet', hidden_dims=(128, 128), bias=False)
        dn_cfg.update(difficulty_net or {})
        dn_cfg.setdefault('num_classes', num_classes)
        self.difficulty_net = MODELS.build(dn_cfg)
        if self.difficulty_net.num_classes != num_classes:
            raise ValueError(f'difficulty_net.num_classes={self.difficulty_net.num_classes} but '
                             f'the head has num_classes={num_classes}.')
        self.num_classes = num_classes
        self.driver_weight = float(driver_weight)
        self.meta_gradient = resolve_meta_gradient(meta_gradient, first_order)
        # Per-class accuracy on the held-out meta set (a = 0 before the first epoch); checkpointed.
        self.register_buffer('class_acc', torch.zeros(num_classes))
        self._meta_ref = _MetaLoaderRef()

    # ------------------------------------------------------------------------------------------
    # plumbing
    @property
    def difficulty_net_module(self) -> nn.Module:
        """Difficulty-Net without a DDP wrapper."""
        return unwrap_model(self.difficulty_net)

    @property
    def classifier_children(self) -> Dict[str, nn.Module]:
        """The (unwrapped) modules of f_θ, in call order: backbone, neck (optional), head."""
        out = {'backbone': unwrap_model(self.backbone)}
        if self.with_neck:
            out['neck'] = unwrap_model(self.neck)
        out['head'] = unwrap_model(self.head)
        return out

    def set_meta_loader(self, loader) -> None:
        """Attach an iterator (infinite) of meta batches; done by :class:`DifficultyNetHook`."""
        self._meta_ref = _MetaLoaderRef(loader)

    def set_class_accuracy(self, class_acc) -> None:
        acc = torch.as_tensor(class_acc, dtype=self.class_acc.dtype).flatten()
        if acc.numel() != self.num_classes:
            raise ValueError(f'class accuracy has {acc.numel()} entries, expected '
                             f'{self.num_classes}.')
        if acc.numel() and (acc.min() < 0 or acc.max() > 1):
            raise ValueError('class accuracies must lie in [0, 1].')
        self.class_acc.copy_(acc.to(self.class_acc.device))

    def _labels(self, data_samples: List[DataSample], cls_score_like: torch.Tensor) -> torch.Tensor:
        if data_samples is None or 'gt_label' not in data_samples[0]:
            raise ValueError('DifficultyNetClassifier needs data samples with `gt_label`.')
        if 'gt_score' in data_samples[0]:
            raise ValueError('DifficultyNetClassifier needs hard labels: batch augments such as '
                             'Mixup/CutMix (train_cfg.augments) are not supported.')
        label = torch.cat([ds.gt_label for ds in data_samples]).to(cls_score_like.device)
        dummy = cls_score_like.new_empty(label.numel(), self.num_classes)
        return check_hard_labels(label, dummy, type(self).__name__)

    def _next_meta_batch(self):
        if self._meta_ref.loader is None:
            raise RuntimeError(
                'DifficultyNetClassifier has no meta set: add '
                "dict(type='DifficultyNetHook', meta_dataloader=dict(...)) to custom_hooks (it "
                'builds the balanced meta loader and attaches it), or call set_meta_loader().')
        return next(self._meta_ref.loader)

    def per_sample_loss(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """ℓ_i from the head's loss module (``reduction_override='none'``), shape (N,)."""
        loss_module = unwrap_model(self.head).loss_module
        loss = loss_module(cls_score, label, reduction_override='none')
        if loss.dim() == 2 and loss.size(1) == 1:
            loss = loss.squeeze(1)
        if loss.shape != label.shape:
            raise ValueError(
                f'{type(loss_module).__name__} returned shape {tuple(loss.shape)} with '
                f"reduction_override='none'; DifficultyNetClassifier needs one loss per sample.")
        return loss

    def weighted_loss(self, cls_score: torch.Tensor, labels: torch.Tensor,
                      class_weights: torch.Tensor) -> torch.Tensor:
        """mean_i w_{y_i} ℓ_i: the loss of every step (virtual, real, :meth:`loss`)."""
        return (class_weights[labels] * self.per_sample_loss(cls_score, labels)).mean()

    @torch.no_grad()
    def current_class_weights(self) -> torch.Tensor:
        """w = C·d/Σd for the current accuracy vector, without gradient."""
        return difficulty_to_weights(self.difficulty_net_module(self.class_acc.float()))

    def functional_logits(self, params: Dict[str, torch.Tensor], inputs: torch.Tensor,
                          clone_buffers: bool = True) -> torch.Tensor:
        """f_θ(x) with parameters ``params`` (names as in ``trainable_params``).

        With ``clone_buffers`` the modules see copies of their buffers, so a train-mode forward
        (batch statistics) leaves the BatchNorm running statistics untouched.
        """
        x = inputs
        for name, module in self.classifier_children.items():
            prefix = name + '.'
            p_and_b = {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
            if clone_buffers:
                p_and_b.update({k: b.clone() for k, b in module.named_buffers()})
            x = functional_call(module, p_and_b, (x, ))
        return x

    def trainable_params(self) -> Dict[str, torch.Tensor]:
        """θ: the trainable parameters of backbone, neck and head (names without DDP wrappers)."""
        return {
            f'{name}.{k}': p
            for name, module in self.classifier_children.items()
            for k, p in module.named_parameters() if p.requires_grad
        }

    @staticmethod
    def param_lrs(optim_wrapper: OptimWrapper, params: Dict[str, torch.Tensor]) -> List[float]:
        """The current lr of each parameter's group in the model optimizer (0 if absent)."""
        lr_of = {}
        for group in optim_wrapper.optimizer.param_groups:
            for p in group['params']:
                lr_of[id(p)] = float(group['lr'])
        return [lr_of.get(id(p), 0.0) for p in params.values()]

    # ------------------------------------------------------------------------------------------
    # the meta step
    def meta_loss(self, inputs: torch.Tensor, labels: torch.Tensor, meta_inputs: torch.Tensor,
                  meta_labels: torch.Tensor, lrs: List[float]) -> Dict[str, torch.Tensor]:
        """Steps 1-2 (``'second_order'``): the meta loss as a differentiable function of
        Difficulty-Net's parameters.

        Returns a dict with ``meta_loss`` (CE + λ·driver) and its two terms ``meta_ce`` and
        ``driver``.
        """
        acc = self.class_acc.float()
        d = self.difficulty_net_module(acc)
        drv = driver_loss(d, acc)
        w = difficulty_to_weights(d)

        params = self.trainable_params()
        logits = self.functional_logits(params, inputs)
        l_virtual = self.weighted_loss(logits, labels, w)
        names, tensors = list(params.keys()), list(params.values())
        grads = torch.autograd.grad(l_virtual, tensors, create_graph=True, allow_unused=True)
        fast = {}
        for name, p, g, lr in zip(names, tensors, grads, lrs):
            fast[name] = p if g is None or lr == 0.0 else p - lr * g

        meta_logits = self.functional_logits(fast, meta_inputs)
        meta_ce = F.cross_entropy(meta_logits.float(), meta_labels)
        return dict(meta_loss=meta_ce + self.driver_weight * drv, meta_ce=meta_ce, driver=drv)

    def driver_only_loss(self) -> Dict[str, torch.Tensor]:
        """Step 2 of ``'driver_only'`` (the released code): ``meta_loss`` = λ·MSE(d, d*) alone,
        and ``driver``. With the weights detached from Difficulty-Net, the meta CE of the virtual
        step contributes exactly zero gradient, so it is not computed."""
        acc = self.class_acc.float()
        drv = driver_loss(self.difficulty_net_module(acc), acc)
        return dict(meta_loss=self.driver_weight * drv, driver=drv)

    def train_step(self, data, optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                'model' not in optim_wrapper or 'difficulty_net' not in optim_wrapper:
            raise TypeError(
                'DifficultyNetClassifier.train_step needs an OptimWrapperDict with the keys '
                "'model' and 'difficulty_net': use optim_wrapper=dict("
                "constructor='DifficultyNetOptimWrapperConstructor', model=dict(optimizer=...), "
                'difficulty_net=dict(optimizer=...)).')
        model_ow = optim_wrapper['model']
        dn_ow = optim_wrapper['difficulty_net']

        data = self.data_preprocessor(data, True)
        inputs, data_samples = data['inputs'], data['data_samples']
        labels = self._labels(data_samples, inputs)

        # Steps 1-2: (virtual step,) meta loss, Adam step on Difficulty-Net.
        dn_params = [p for p in self.difficulty_net_module.parameters() if p.requires_grad]
        if self.meta_gradient == 'second_order':
            meta = self.data_preprocessor(self._next_meta_batch(), False)
            meta_inputs = meta['inputs']
            meta_labels = self._labels(meta['data_samples'], meta_inputs)
            out = self.meta_loss(inputs, labels, meta_inputs, meta_labels,
                                 self.param_lrs(model_ow, self.trainable_params()))
        else:
            out = self.driver_only_loss()
        dn_ow.zero_grad()
        dn_ow.backward(out['meta_loss'], inputs=dn_params)
        if get_world_size() > 1:
            for p in dn_params:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                all_reduce(p.grad, op='mean')
        dn_ow.step()
        dn_ow.zero_grad()
        log_vars = {f'loss_{k}' if k != 'meta_loss' else 'loss_meta': v.detach()
                    for k, v in out.items()}
        del out

        # Step 3: real step on θ with the updated Difficulty-Net's weights.
        w = self.current_class_weights()
        with model_ow.optim_context(self):
            feats = self.extract_feat(inputs)  # through the DDP children when wrapped
            loss = self.weighted_loss(self.head(feats), labels, w)
        model_ow.update_params(loss)

        log_vars = {'loss': loss.detach(), **log_vars,
                    'dn_weight_min': w.min().detach(), 'dn_weight_max': w.max().detach()}
        return log_vars

    # ------------------------------------------------------------------------------------------
    # evaluation paths that also work when the children are DDP-wrapped
    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        """Weighted loss with the current Difficulty-Net weights (no meta step)."""
        feats = self.extract_feat(inputs)
        cls_score = self.head(feats)
        labels = self._labels(data_samples, cls_score)
        return dict(loss=self.weighted_loss(cls_score, labels, self.current_class_weights()))

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        feats = self.extract_feat(inputs)
        return unwrap_model(self.head).predict(feats, data_samples, **kwargs)

    @torch.no_grad()
    def predict_labels(self, inputs: torch.Tensor) -> torch.Tensor:
        """Argmax predictions with the unwrapped modules (used by :class:`DifficultyNetHook`)."""
        x = inputs
        for module in self.classifier_children.values():
            x = module(x)
        return x.argmax(dim=1)
