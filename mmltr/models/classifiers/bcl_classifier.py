"""The classifier of BCL's multi-view training.

Zhu et al., Balanced Contrastive Learning for Long-Tailed Visual Recognition, CVPR 2022,
https://arxiv.org/abs/2207.09052.
"""
from typing import List, Sequence

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

MULTI_VIEW_HINT = (
    'The training pipeline needs MultiView with 3 views (1 classification view + 2 contrastive '
    "views): dict(type='MultiView', num_views=[1, 2], transforms=[classification_view, "
    "contrastive_view]) before PackInputs (see configs/_base_/datasets/*_bcl.py), and "
    "data_preprocessor=dict(type='MultiViewClsDataPreprocessor', ...).")


@MODELS.register_module()
class BCLClassifier(ImageClassifier):
    """``ImageClassifier`` whose training step takes several views of each image.

    In ``loss`` the views (a list of V tensors (N, C, H, W) from ``MultiViewClsDataPreprocessor``,
    view 0 the classification view) go through the backbone and neck **in one concatenated
    batch**, as in the released BCL code (the BatchNorm layers see all views), and the head
    (``BCLHead``) gets the features concatenated view-major. Prediction (``predict``,
    ``mode='tensor'``) is ``ImageClassifier``'s, on single-view batches.

    Args: those of ``ImageClassifier``.
    """

    def loss(self, inputs: Sequence[torch.Tensor], data_samples: List[DataSample]) -> dict:
        if isinstance(inputs, torch.Tensor) or not isinstance(inputs, (list, tuple)):
            raise ValueError('BCLClassifier: got a single view per image for training. '
                             + MULTI_VIEW_HINT)
        if len(inputs) < 2 or len({tuple(view.shape) for view in inputs}) != 1:
            raise ValueError(f'BCLClassifier: training needs V >= 2 views of one shape, got '
                             f'{[tuple(view.shape) for view in inputs]}. ' + MULTI_VIEW_HINT)
        feats = self.extract_feat(torch.cat(list(inputs)))
        return self.head.loss(feats, data_samples)
