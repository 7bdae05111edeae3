"""CosineClsHead: cosine outputs, loss-input protocol, fp32 under autocast, predictions."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401

COUNTS = [50, 30, 20, 10, 5]
C, D = len(COUNTS), 16


def _head(loss=None, **kwargs):
    cfg = dict(type='CosineClsHead', num_classes=C, in_channels=D, **kwargs)
    if loss is not None:
        cfg['loss'] = loss
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def _batch(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(n, D, generator=g)
    labels = torch.arange(n) % C
    samples = [DataSample().set_gt_label(int(t)) for t in labels]
    return feats, labels, samples


def _ref_cos(head, feats):
    return F.normalize(feats.float(), dim=1) @ F.normalize(head.fc.weight.float(), dim=1).t()


def test_forward_is_raw_cosine_without_bias():
    head = _head()
    feats, _, _ = _batch()
    cos = head((feats, ))
    assert cos.shape == (len(feats), C) and cos.dtype == torch.float32
    torch.testing.assert_close(cos, _ref_cos(head, feats))
    assert cos.abs().max() <= 1 + 1e-6
    assert head.fc.bias is None
    # invariant to the feature norm and to the weight norm
    torch.testing.assert_close(head((feats * 7.0, )), cos)
    with torch.no_grad():
        head.fc.weight.mul_(3.0)
    torch.testing.assert_close(head((feats, )), cos)


def test_loss_input_protocol():
    feats, labels, samples = _batch()
    # plain CE: scale * cos, scale defaulting to 30
    ce = _head()
    assert not ce.loss_takes_cosine and ce.scale == 30.0
    expect = F.cross_entropy(30.0 * _ref_cos(ce, feats), labels)
    torch.testing.assert_close(ce.loss((feats, ), samples)['loss'], expect)
    ce16 = _head(scale=16.0)
    torch.testing.assert_close(ce16.loss((feats, ), samples)['loss'],
                               F.cross_entropy(16.0 * _ref_cos(ce16, feats), labels))
    # BS: also scaled
    bs = _head(loss=dict(type='BalancedSoftmaxLoss', class_counts=COUNTS), scale=32.0)
    prior = torch.tensor(COUNTS, dtype=torch.float64) / sum(COUNTS)
    expect = F.cross_entropy(32.0 * _ref_cos(bs, feats) + torch.log(prior).float(), labels)
    torch.testing.assert_close(bs.loss((feats, ), samples)['loss'], expect)
    # DBM / LDAM: raw cosines, head scale taken from the loss
    for cfg, scale in [(dict(type='DBMLoss', class_counts=COUNTS, base='bs'), 32.0),
                       (dict(type='LDAMLoss', class_counts=COUNTS), 30.0)]:
        head = _head(loss=cfg)
        assert head.loss_takes_cosine and head.scale == scale
        expect = head.loss_module(_ref_cos(head, feats), labels)
        torch.testing.assert_close(head.loss((feats, ), samples)['loss'], expect)
    with pytest.raises(ValueError, match='expects raw cosines'):
        _head(loss=dict(type='DBMLoss'), loss_input='scaled')
    forced = _head(loss_input='cosine')  # explicit: CE on raw cosines
    torch.testing.assert_close(forced.loss((feats, ), samples)['loss'],
                               F.cross_entropy(_ref_cos(forced, feats), labels))
    with pytest.warns(UserWarning, match='differs'):
        _head(loss=dict(type='DBMLoss', scale=32.0), scale=16.0)
    with pytest.raises(ValueError, match='loss_input'):
        _head(loss_input='logits')


def test_predict_argmax_of_cosines_and_scaled_softmax_score():
    head = _head(loss=dict(type='DBMLoss', class_counts=COUNTS, scale=32.0))
    feats, _, samples = _batch()
    cos = _ref_cos(head, feats)
    preds = head.predict((feats, ), samples)
    labels = torch.cat([p.pred_label for p in preds])
    scores = torch.stack([p.pred_score for p in preds])
    assert torch.equal(labels, cos.argmax(1))
    torch.testing.assert_close(scores, F.softmax(32.0 * cos, dim=1))
    assert preds[0] is samples[0]  # filled in place, as ClsHead does
    assert len(head.predict((feats, ))) == len(feats)


def test_fp32_under_autocast():
    head = _head(loss=dict(type='DBMLoss', class_counts=COUNTS))
    feats, labels, samples = _batch()
    low = feats.to(torch.bfloat16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        # control: autocast really is active for linear layers in this block
        assert F.linear(feats, head.fc.weight).dtype == torch.bfloat16
        cos = head((low, ))
        loss = head.loss((low, ), samples)['loss']
    assert cos.dtype == torch.float32 and loss.dtype == torch.float32
    torch.testing.assert_close(cos, _ref_cos(head, low))
    loss.backward()
    assert head.fc.weight.grad.dtype == torch.float32
    assert torch.isfinite(head.fc.weight.grad).all()


def test_num_classes_checks():
    with pytest.raises(ValueError, match='class_counts'):
        _head(loss=dict(type='DBMLoss', class_counts=COUNTS[:-1]))
    with pytest.raises(ValueError, match='num_classes'):
        _head(loss=dict(type='LDAMLoss', num_classes=C + 1))
    head = _head(loss=dict(type='DBMLoss'))
    assert head.loss_module.num_classes == C  # later fills are checked against it
    with pytest.raises(ValueError, match='num_classes'):
        head.loss_module.set_class_counts(COUNTS + [3])


def test_soft_labels_error_through_head():
    head = _head(loss=dict(type='DBMLoss', class_counts=COUNTS))
    feats, labels, samples = _batch()
    for s, t in zip(samples, labels):
        s.set_gt_score(F.one_hot(t, C).float())
    with pytest.raises(ValueError, match='hard integer labels'):
        head.loss((feats, ), samples)


def test_in_image_classifier_train_step():
    model = MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ResNet32_CIFAR', depth=32),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='CosineClsHead', num_classes=C, in_channels=64,
                       loss=dict(type='DBMLoss', class_counts=COUNTS, base='bs'))))
    model.init_weights()
    x = torch.randn(4, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = model(x, samples, mode='loss')
    losses['loss'].backward()
    assert torch.isfinite(losses['loss'])
    preds = model(x, samples, mode='predict')
    assert preds[0].pred_score.shape == (C, )
