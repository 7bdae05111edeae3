"""MultiViewClsDataPreprocessor: both multi-view input forms give ClsDataPreprocessor's result per
view, single-view batches are ClsDataPreprocessor's, labels are untouched, bad input is refused."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS, TRANSFORMS

import mmltr  # noqa: F401

NORM = dict(mean=[120.0, 110.0, 100.0], std=[60.0, 50.0, 40.0], to_rgb=True, num_classes=5)


def _views_batch(n=4, size=8):
    """A MultiView(num_views=[1, 2]) + PackInputs pipeline run on n images, collated as the
    default dataloader does: pseudo_collate turns the samples' lists of 3 uint8 views into 3
    sequences of n images."""
    pipeline = [
        dict(type='MultiView', num_views=[1, 2], transforms=[
            [dict(type='RandomFlip', prob=0.0)],
            [dict(type='RandomResizedCrop', scale=size, crop_ratio_range=(0.2, 1.0))]]),
        dict(type='PackInputs'),
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # MultiView builds its steps
        steps = [TRANSFORMS.build(t) for t in pipeline]
    rng = np.random.RandomState(0)
    samples = []
    for i in range(n):
        results = dict(img=rng.randint(0, 256, (size, size, 3), dtype=np.uint8), gt_label=i % 5)
        for step in steps:
            results = step(results)
        samples.append(results)
    return pseudo_collate(samples)


def _reference(view, data_samples=None):
    return ClsDataPreprocessor(**NORM)(dict(inputs=view, data_samples=data_samples))


def test_collated_multiview_and_list_of_batches():
    pre = MODELS.build(dict(type='MultiViewClsDataPreprocessor', **NORM))
    data = _views_batch()
    assert len(data['inputs']) == 3 and len(data['inputs'][0]) == 4
    out = pre(data, training=True)
    views = [torch.stack(view) for view in data['inputs']]
    assert isinstance(out['inputs'], list) and len(out['inputs']) == 3
    for k, view in enumerate(views):
        assert out['inputs'][k].dtype == torch.float32 and out['inputs'][k].shape == (4, 3, 8, 8)
        torch.testing.assert_close(out['inputs'][k], _reference(view)['inputs'])
    assert [int(s.gt_label) for s in out['data_samples']] == [0, 1, 2, 3]
    # the fast path's form: a list of V batch tensors, uint8 or float 0-255
    for dtype in (torch.uint8, torch.float32):
        listed = pre(dict(inputs=[v.to(dtype) for v in views],
                          data_samples=data['data_samples']), training=True)
        for a, b in zip(listed['inputs'], out['inputs']):
            torch.testing.assert_close(a, b)


def test_single_view_batches_are_cls_data_preprocessor():
    pre = MODELS.build(dict(type='MultiViewClsDataPreprocessor', **NORM))
    data = _views_batch()
    single = list(data['inputs'][0])
    for inputs in (single, torch.stack(single)):  # pseudo_collate / default_collate
        out = pre(dict(inputs=inputs, data_samples=data['data_samples']))
        ref = _reference(inputs, data['data_samples'])
        assert isinstance(out['inputs'], torch.Tensor)
        torch.testing.assert_close(out['inputs'], ref['inputs'])


@pytest.mark.parametrize('inputs,match', [
    ([[torch.zeros(3, 4, 4)] * 3, [torch.zeros(3, 4, 4)] * 2], 'view 0 has 3 images but view 1 '
     'has 2'),
    ([torch.zeros(2, 3, 4, 4), torch.zeros(3, 3, 4, 4)], r'view 1 \(3, 3, 4, 4\)'),
])
def test_inconsistent_views_are_refused(inputs, match):
    pre = MODELS.build(dict(type='MultiViewClsDataPreprocessor', **NORM))
    with pytest.raises(ValueError, match=match):
        pre(dict(inputs=inputs))


def test_batch_augments_are_refused_for_multiview():
    pre = MODELS.build(dict(type='MultiViewClsDataPreprocessor', **NORM, batch_augments=dict(
        augments=dict(type='Mixup', alpha=0.2))))
    data = _views_batch()
    with pytest.raises(ValueError, match='batch augments.*not supported with multi-view'):
        pre(data, training=True)
    out = pre(dict(inputs=list(data['inputs'][0]), data_samples=data['data_samples']),
              training=True)  # a single view still mixes, as ClsDataPreprocessor does
    assert out['data_samples'][0].gt_score.shape == (5, )
