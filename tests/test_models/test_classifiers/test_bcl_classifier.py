"""BCLClassifier: the views go through the backbone in one batch, single views are refused for
training with a pointer to the pipeline, prediction takes one view."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401

N, C = 4, 5


def _model():
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(dict(
            type='BCLClassifier',
            backbone=dict(type='ResNet32_CIFAR', depth=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='BCLHead', num_classes=C, in_channels=64, mid_channels=16, feat_dim=8,
                      classifier=dict(type='CosineClsHead', loss=dict(type='BalancedSoftmaxLoss',
                                                                      class_counts=[9, 7, 5, 3,
                                                                                    1])))))


def _samples():
    return [DataSample().set_gt_label(i % C) for i in range(N)]


def test_views_share_one_backbone_batch():
    model = _model()
    seen = []
    model.backbone.register_forward_hook(lambda m, args, out: seen.append(args[0].shape))
    views = [torch.randn(N, 3, 16, 16) for _ in range(3)]
    losses = model(views, _samples(), mode='loss')
    assert seen == [(3 * N, 3, 16, 16)]  # one batch: BatchNorm normalises over all views
    assert set(losses) == {'loss_cls', 'loss_scl'}
    sum(losses.values()).backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    # the head gets view-major features: view 0's are those of the images of view 0
    model.eval()
    with torch.no_grad():
        expected = model(views[0], mode='tensor')
        feats = model.extract_feat(torch.cat(views))
    torch.testing.assert_close(model.head(feats)[:N], expected)


def test_single_view_training_batch_is_refused():
    model = _model()
    with pytest.raises(ValueError, match=r"single view.*MultiView with 3 views \(1 classification "
                       r"view \+ 2 contrastive views\).*MultiViewClsDataPreprocessor"):
        model(torch.randn(N, 3, 16, 16), _samples(), mode='loss')
    with pytest.raises(ValueError, match=r'V >= 2 views of one shape'):
        model([torch.randn(N, 3, 16, 16), torch.randn(N, 3, 8, 8)], _samples(), mode='loss')


def test_prediction_on_one_view():
    model = _model().eval()
    preds = model(torch.randn(N, 3, 16, 16), _samples(), mode='predict')
    assert len(preds) == N and preds[0].pred_score.shape == (C, )
