"""The data preprocessor of multi-view training (BCL's classification + contrastive views)."""
from typing import List, Optional

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that also takes batches of several views per image.

    A multi-view batch comes in one of two forms:

    * the collated output of MMPretrain's ``MultiView`` + ``PackInputs`` pipeline (each sample's
      ``inputs`` a list of V images (C, H, W)): ``pseudo_collate`` (the default) transposes it to
      V sequences of N images;
    * a list of V batch tensors (N, C, H, W), uint8 or float in 0-255 (``default_collate``'s
      output, and what the GPU fast path hands over).

    Each view goes through ``ClsDataPreprocessor`` (channel order, normalisation, padding) and
    ``inputs`` becomes a **list of V float tensors (N, C, H, W)**, view 0 first (the
    classification view of ``MultiView(num_views=[1, 2], ...)``). Labels are handled exactly as
    ``ClsDataPreprocessor`` does. A single-view batch (a tensor, or per sample one image: the
    val/test pipelines) is ``ClsDataPreprocessor``'s as it is.

    Batch augmentations (Mixup/CutMix) are refused for multi-view batches: they would mix view 0
    with one pairing and leave the other views unmixed.

    Args: those of ``ClsDataPreprocessor``.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        views = self.split_views(data['inputs'])
        if views is None:
            return super().forward(data, training)
        if training and self.batch_augments is not None:
            raise ValueError('MultiViewClsDataPreprocessor: batch augments (train_cfg.augments, '
                             'Mixup/CutMix) are not supported with multi-view inputs; remove '
                             'them.')
        process = super().forward  # labels with view 0, the other views' images only
        first = process(dict(data, inputs=views[0]), training)
        rest = [process(dict(inputs=view), training)['inputs'] for view in views[1:]]
        return dict(first, inputs=[first['inputs'], *rest])

    @staticmethod
    def split_views(inputs) -> Optional[List]:
        """The V per-view batches of a multi-view ``inputs`` (each a tensor (N, C, H, W) or a
        list of N images (C, H, W)), or None for a single-view batch (a tensor, or a list of
        images (C, H, W))."""
        if isinstance(inputs, torch.Tensor) or not isinstance(inputs, (list, tuple)) \
                or not inputs:
            return None
        first = inputs[0]
        if isinstance(first, (list, tuple)):  # per view: a sequence of N images
            for k, view in enumerate(inputs):
                if not isinstance(view, (list, tuple)) or len(view) != len(first):
                    raise ValueError(
                        f'MultiViewClsDataPreprocessor: view 0 has {len(first)} images but view '
                        f'{k} has {len(view) if isinstance(view, (list, tuple)) else "none"}.')
            return [list(view) for view in inputs]
        if isinstance(first, torch.Tensor) and first.dim() == 4:  # V batch tensors
            for k, view in enumerate(inputs):
                if not isinstance(view, torch.Tensor) or view.dim() != 4 \
                        or view.size(0) != first.size(0):
                    raise ValueError(
                        'MultiViewClsDataPreprocessor: a list of views must hold V tensors '
                        f'(N, C, H, W) of the same N; view 0 has shape {tuple(first.shape)}, '
                        f'view {k} {tuple(getattr(view, "shape", ()))}.')
            return list(inputs)
        return None  # per sample one image (C, H, W): a single view
