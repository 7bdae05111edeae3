"""The two-branch head of BCL: a classifier and a balanced contrastive branch.

Zhu et al., Balanced Contrastive Learning for Long-Tailed Visual Recognition, CVPR 2022,
https://arxiv.org/abs/2207.09052; DBM-BCL: Son et al., Difficulty-aware Balancing Margin Loss for
Long-tailed Recognition, AAAI 2025, https://arxiv.org/abs/2412.15477.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


def mlp(in_channels: int, mid_channels: int, out_channels: int) -> nn.Sequential:
    """BCL's projection MLP: Linear - BatchNorm1d - ReLU - Linear."""
    return nn.Sequential(
        nn.Linear(in_channels, mid_channels), nn.BatchNorm1d(mid_channels),
        nn.ReLU(inplace=True), nn.Linear(mid_channels, out_channels))


@MODELS.register_module()
class BCLHead(BaseModule):
    """BCL's head on pooled features: a classification branch and a contrastive branch.

    Training features are those of V >= 2 views of each image, concatenated view-major
    (``BCLClassifier`` runs all views through the backbone in one batch): view 0 is the
    classification view, views 1.. the contrastive views (MMPretrain's ``MultiView(num_views=
    [1, 2], ...)``: 3 views).

    * **Classification branch**: ``classifier`` (any classification head config, e.g.
      ``CosineClsHead`` or ``LinearClsHead``, with its loss) on view 0 only. BCL's loss is the
      logit-adjusted cross-entropy, mmltr's ``BalancedSoftmaxLoss`` (tau = 1), on a cosine
      classifier (the released code's ``NormedLinear``, scale 30); DBM-BCL puts ``DBMLoss(base=
      'bs')`` there (``CosineClsHead`` hands it the raw cosines).
    * **Contrastive branch**: a projection MLP ``Linear(in, mid) - BN - ReLU - Linear(mid,
      feat_dim)`` on the features of **all** views (its BatchNorm sees the whole batch, as in the
      released code), L2-normalised; class prototypes from a second MLP of the same shape on the
      classifier's weight rows ``classifier.fc.weight`` (C, in_channels) (the released code's
      ``head_fc``; the contrastive loss also trains the classifier weights through them),
      L2-normalised; ``contrastive_loss`` (``BalancedSupConLoss``) on the contrastive views.
    * Losses: ``loss_cls = ce_weight * <classifier loss>``, ``loss_scl = scl_weight *
      <contrastive loss>`` (a loss's own ``loss_weight`` multiplies as well), plus the
      classifier's accuracy entries when it computes them.
    * Prediction, ``forward`` and ``batch_predictions``: the classifier's, on one view.

    Args:
        num_classes (int): number of classes (given to the classifier).
        in_channels (int): width of the pooled backbone features (given to the classifier).
        feat_dim (int): embedding dimension of the contrastive branch. Defaults to 1024 (the
            released ResNet-50 setting; the DBM code's CIFAR ResNet-32 uses 128).
        mid_channels (int, optional): hidden width of both MLPs. Defaults to ``in_channels``
            (ResNet-50: 2048; the DBM code's CIFAR ResNet-32: 512).
        classifier (dict): the classification head. Defaults to ``CosineClsHead`` with
            ``BalancedSoftmaxLoss`` (scale 30).
        contrastive_loss (dict): the contrastive loss. Defaults to ``BalancedSupConLoss``.
        ce_weight (float): weight of the classification loss. Defaults to 2.0.
        scl_weight (float): weight of the contrastive loss. Defaults to 0.6 (2.0 / 0.6 are the
            DBM code's BCL weights; the released BCL code's ImageNet-LT/iNat defaults are
            1.0 / 0.35).
        init_cfg (dict, optional): initialisation of the MLPs (PyTorch's default when None; the
            classifier keeps its own ``init_cfg``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_dim: int = 1024,
                 mid_channels: Optional[int] = None,
                 classifier: dict = dict(type='CosineClsHead', scale=30.0,
                                         loss=dict(type='BalancedSoftmaxLoss')),
                 contrastive_loss: dict = dict(type='BalancedSupConLoss'),
                 ce_weight: float = 2.0,
                 scl_weight: float = 0.6,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        mid_channels = in_channels if mid_channels is None else mid_channels
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels),
                            ('feat_dim', feat_dim), ('mid_channels', mid_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f'BCLHead: {name} must be a positive int, got {value!r}.')
        for name, value in (('ce_weight', ce_weight), ('scl_weight', scl_weight)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f'BCLHead: {name} must be a number >= 0, got {value!r}.')
        self.num_classes, self.in_channels = num_classes, in_channels
        self.ce_weight, self.scl_weight = float(ce_weight), float(scl_weight)

        classifier = dict(classifier)
        for key, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if classifier.setdefault(key, value) != value:
                raise ValueError(f'BCLHead: classifier.{key}={classifier[key]} differs from the '
                                 f'head\'s {key}={value}; set it on the head only.')
        self.classifier = MODELS.build(classifier)
        weight = getattr(getattr(self.classifier, 'fc', None), 'weight', None)
        if not isinstance(weight, torch.Tensor) or tuple(weight.shape) != (num_classes,
                                                                           in_channels):
            raise ValueError(f'BCLHead: the classifier ({type(self.classifier).__name__}) must '
                             f'keep its class weights in fc.weight ({num_classes}, {in_channels}) '
                             '(the prototypes are computed from them), as LinearClsHead and '
                             'CosineClsHead do.')
        self.contrastive_loss = MODELS.build(contrastive_loss)
        self.projector = mlp(in_channels, mid_channels, feat_dim)
        self.prototype_mlp = (mlp(in_channels, mid_channels, feat_dim)
                              if self.contrastive_loss.uses_prototypes else None)

    # -- the classification branch (one view) ---------------------------------------------------
    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The last pooled features (N, in_channels), after checking their width."""
        pre = feats[-1]
        if pre.dim() != 2 or pre.size(1) != self.in_channels:
            raise ValueError(f'BCLHead: in_channels={self.in_channels} but the neck gives '
                             f'features of shape {tuple(pre.shape)}: set model.head.in_channels'
                             f'={pre.size(-1)} (the backbone width after pooling).')
        return pre

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The classifier's scores of one view (e.g. raw cosines of ``CosineClsHead``)."""
        return self.classifier((self.pre_logits(feats), ))

    def predict(self, feats: Tuple[torch.Tensor],
                data_samples: Optional[List[Optional[DataSample]]] = None) -> List[DataSample]:
        return self.classifier.predict((self.pre_logits(feats), ), data_samples)

    @property
    def batch_predictions(self):
        """The classifier's batched prediction rule, when it has one (``CosineClsHead``)."""
        return self.classifier.batch_predictions

    # -- training ------------------------------------------------------------------------------
    def prototypes(self) -> torch.Tensor:
        """The L2-normalised class prototypes (C, feat_dim) from the classifier's weights."""
        return F.normalize(self.prototype_mlp(self.classifier.fc.weight), dim=1)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample]) -> dict:
        """Losses of V views of ``len(data_samples)`` images, features concatenated view-major."""
        pre = self.pre_logits(feats)
        n = len(data_samples)
        if n == 0 or pre.size(0) % n or pre.size(0) // n < 2:
            raise ValueError(
                f'BCLHead: {pre.size(0)} features for {n} images; training needs V >= 2 views of '
                'each image, concatenated view-major (BCLClassifier with a MultiView pipeline: '
                '1 classification view + 2 contrastive views).')
        if 'gt_score' in data_samples[0]:
            raise ValueError('BCLHead needs hard labels (the contrastive loss pairs images by '
                             'label); soft labels from Mixup/CutMix batch augments are not '
                             'supported: remove train_cfg.augments.')
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(pre.device)

        losses = self.classifier.loss((pre[:n], ), data_samples)
        out = dict(loss_cls=self.ce_weight * losses.pop('loss'))
        out.update(losses)
        views = F.normalize(self.projector(pre), dim=1)
        views = views[n:].reshape(-1, n, views.size(1)).transpose(0, 1)  # (N, V - 1, feat_dim)
        prototypes = self.prototypes() if self.prototype_mlp is not None else None
        out['loss_scl'] = self.scl_weight * self.contrastive_loss(views, labels, prototypes)
        return out
