"""Cosine classifier head (LDAM's ``NormedLinear`` / DBM's cosine classifier) for MMPretrain."""
import warnings
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.runner import autocast
from mmpretrain.models.heads import ClsHead
from mmpretrain.models.heads.margin_head import NormProduct
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

LOSS_INPUTS = ('auto', 'cosine', 'scaled')
DEFAULT_SCALE = 30.0


@MODELS.register_module()
class CosineClsHead(ClsHead):
    """Cosine classifier: ``cos_j = <f/|f|, W_j/|W_j|>``, no bias, computed in float32.

    **Cosine-input protocol.** ``forward`` returns the raw cosines (N, C). What the loss gets:

    * a loss whose class declares ``expects_cosine = True`` (``DBMLoss``, ``LDAMLoss``) gets the
      **raw cosines** and applies its own scale and margins;
    * any other loss (``CrossEntropyLoss``, ``BalancedSoftmaxLoss``, ``ClassBalancedLoss``, ...)
      gets ``scale * cos``.

    ``loss_input='cosine'`` / ``'scaled'`` overrides the automatic choice (``'scaled'`` with a loss
    that expects cosines is an error). The forward and the loss run with autocast disabled, on
    float32 features, so AMP never sees the normalisation, the cosines or the margins.

    Prediction: ``pred_label = argmax_j cos_j`` (the scale does not matter, no test-time prior),
    ``pred_score = softmax(scale * cos)``.

    Args:
        num_classes (int): number of classes.
        in_channels (int): feature dimension.
        scale (float, optional): the cosine scale s used for the scaled loss input and for
            ``pred_score``. None (default): the loss's own ``scale`` when it expects cosines and
            has one (so DBM's s=32 / LDAM's s=30 also calibrate ``pred_score``), else 30.
        loss_input (str): ``'auto'`` (default), ``'cosine'`` or ``'scaled'`` (see above).
        loss (dict): the loss config. Defaults to ``CrossEntropyLoss``.
        init_cfg (dict): initialisation of the weight directions. Defaults to
            ``Normal(std=0.01)`` on the ``Linear`` layer (only directions matter).
        **kwargs: ``topk``, ``cal_acc`` of :class:`mmpretrain.models.heads.ClsHead`.
    """

    #: What ``forward`` returns; ``LongTailLossHook`` lets losses with ``expects_cosine = True``
    #: train only on heads that declare ``'cosine'``.
    outputs = 'cosine'

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 scale: Optional[float] = None,
                 loss_input: str = 'auto',
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        super().__init__(loss=loss, init_cfg=init_cfg, **kwargs)
        if num_classes <= 0 or in_channels <= 0:
            raise ValueError(f'CosineClsHead: num_classes and in_channels must be positive, got '
                             f'{num_classes} and {in_channels}.')
        if loss_input not in LOSS_INPUTS:
            raise ValueError(f'CosineClsHead: loss_input must be one of {LOSS_INPUTS}, got '
                             f'{loss_input!r}.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.fc = NormProduct(in_channels, num_classes, bias=False)

        expects_cosine = bool(getattr(self.loss_module, 'expects_cosine', False))
        loss_name = type(self.loss_module).__name__
        if loss_input == 'scaled' and expects_cosine:
            raise ValueError(f"CosineClsHead: {loss_name} expects raw cosines (it applies its own "
                             "scale and margins); loss_input='scaled' would feed it scale*cos. "
                             "Use loss_input='auto'.")
        self.loss_input = loss_input
        self.loss_takes_cosine = (loss_input == 'cosine'
                                  or (loss_input == 'auto' and expects_cosine))

        loss_scale = getattr(self.loss_module, 'scale', None) if expects_cosine else None
        if scale is None:
            scale = loss_scale if loss_scale is not None else DEFAULT_SCALE
        elif loss_scale is not None and float(loss_scale) != float(scale):
            warnings.warn(f'CosineClsHead: scale={scale} differs from {loss_name}.scale='
                          f'{loss_scale}; the head scale only sets pred_score (the loss uses its '
                          'own).')
        if float(scale) <= 0:
            raise ValueError(f'CosineClsHead: scale must be positive, got {scale}.')
        self.scale = float(scale)

        # Count-aware losses: let them check class_counts against num_classes as early as possible.
        if hasattr(self.loss_module, 'needs_class_counts'):
            loss_classes = getattr(self.loss_module, 'num_classes', None)
            if loss_classes is None:
                self.loss_module.num_classes = num_classes
            elif loss_classes != num_classes:
                raise ValueError(f'CosineClsHead: num_classes={num_classes} but {loss_name} has '
                                 f'num_classes={loss_classes}.')
            if not self.loss_module.needs_class_counts and \
                    self.loss_module.class_counts.numel() != num_classes:
                raise ValueError(f'CosineClsHead: {loss_name}.class_counts has '
                                 f'{self.loss_module.class_counts.numel()} entries but '
                                 f'num_classes={num_classes}.')

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Raw cosines (N, num_classes), float32 even under AMP."""
        with autocast(enabled=False):
            pre_logits = self.pre_logits(feats).float()
            return self.fc(pre_logits)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        with autocast(enabled=False):
            cos = self(feats)
            score = cos if self.loss_takes_cosine else self.scale * cos
            return self._get_loss(score, data_samples, **kwargs)

    def batch_predictions(self, cls_score: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The prediction rule on a batch of raw cosines ``cls_score`` (N, C).

        Returns ``(pred_scores, pred_labels)``: ``softmax(scale * cos)`` (N, C) and
        ``argmax cos`` (N,). Batched evaluation (the fast path's eval loops) uses it directly;
        :meth:`predict` through ``_get_predictions``.
        """
        cos = cls_score.float()
        return F.softmax(self.scale * cos, dim=1), cos.argmax(dim=1).detach()

    def _get_predictions(self, cls_score: torch.Tensor,
                         data_samples: Optional[List[Optional[DataSample]]]):
        """``cls_score`` are the raw cosines: label = argmax cos, score = softmax(scale * cos)."""
        pred_scores, pred_labels = self.batch_predictions(cls_score)
        if data_samples is None:
            data_samples = [None] * pred_scores.size(0)
        out = []
        for data_sample, score, label in zip(data_samples, pred_scores, pred_labels.view(-1, 1)):
            if data_sample is None:
                data_sample = DataSample()
            out.append(data_sample.set_pred_score(score).set_pred_label(label))
        return out

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, in_channels={self.in_channels}, '
                f'scale={self.scale}, loss_takes_cosine={self.loss_takes_cosine}')
