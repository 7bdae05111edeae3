"""BCLHead: which view feeds which branch, the classification losses of BCL and DBM-BCL against
references from their equations, prototypes from the classifier weights, prediction, errors."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401
from mmltr.models.losses import balanced_contrastive_loss

COUNTS = [40, 20, 10, 5]
C, D, N = 4, 12, 6


def _head(loss=None, **kwargs):
    torch.manual_seed(0)
    loss = loss or dict(type='BalancedSoftmaxLoss', class_counts=COUNTS)
    cfg = dict(type='BCLHead', num_classes=C, in_channels=D, mid_channels=10, feat_dim=8,
               classifier=dict(type='CosineClsHead', scale=32.0, loss=loss))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _batch(views=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(views * N, D, generator=g)
    labels = torch.tensor([0, 1, 2, 3, 0, 0])
    return feats, [DataSample().set_gt_label(int(y)) for y in labels], labels


def _cosines(head, feats):
    w = head.classifier.fc.weight
    return F.normalize(feats, dim=1) @ F.normalize(w, dim=1).T


def test_bcl_classification_branch_is_logit_adjusted_ce_on_view_0():
    head = _head()
    feats, samples, labels = _batch()
    losses = head.loss((feats, ), samples)
    assert set(losses) == {'loss_cls', 'loss_scl'}
    prior = torch.tensor(COUNTS, dtype=torch.float) / sum(COUNTS)
    ref = F.cross_entropy(32.0 * _cosines(head, feats[:N]) + prior.log(), labels)
    torch.testing.assert_close(losses['loss_cls'], 2.0 * ref)


def test_dbm_bcl_classification_branch_is_dbm_bs():
    """DBM-BCL: DBMLoss(base='bs') on the raw cosines of view 0, reference from DBM's Eqs.:
    target logit s cos(theta_y + m), m = K (n_y / n_min)^-1 (1 + [argmax cos != y](1 - cos_y)/2),
    plus log prior on every logit."""
    head = _head(dict(type='DBMLoss', base='bs', scale=32.0, class_counts=COUNTS))
    feats, samples, labels = _batch(seed=1)
    cos = _cosines(head, feats[:N]).detach()
    n = torch.tensor(COUNTS, dtype=torch.float)
    m = 0.1 * (n / n.min())**-1.0
    rows = []
    for i, y in enumerate(labels.tolist()):
        hard = float(int(cos[i].argmax()) != y)
        margin = m[y] * (1 + hard * (1 - cos[i, y]) / 2)
        row = cos[i].clone()
        row[y] = torch.cos(torch.acos(cos[i, y]) + margin)
        rows.append(row)
    ref = F.cross_entropy(32.0 * torch.stack(rows) + (n / n.sum()).log(), labels)
    torch.testing.assert_close(head.loss((feats, ), samples)['loss_cls'], 2.0 * ref)


def test_contrastive_branch_views_prototypes_and_weights():
    head = _head(ce_weight=1.0, scl_weight=0.35)
    head.eval()  # BatchNorm on running statistics: each view's embedding depends on it alone
    feats, samples, labels = _batch()
    losses = head.loss((feats, ), samples)
    z = F.normalize(head.projector(feats), dim=1)
    views = torch.stack([z[N:2 * N], z[2 * N:]], dim=1)
    protos = F.normalize(head.prototype_mlp(head.classifier.fc.weight), dim=1)
    expected = balanced_contrastive_loss(views, labels, protos, 0.1)
    torch.testing.assert_close(losses['loss_scl'], 0.35 * expected)
    # view 0 feeds only the classifier, views 1 and 2 only the contrastive loss
    other = feats.clone()
    other[:N] += 1.0
    changed = head.loss((other, ), samples)
    assert changed['loss_scl'] == losses['loss_scl'] and changed['loss_cls'] != losses['loss_cls']
    other = feats.clone()
    other[N:] += 1.0
    changed = head.loss((other, ), samples)
    assert changed['loss_cls'] == losses['loss_cls'] and changed['loss_scl'] != losses['loss_scl']
    # the prototypes train the classifier weights too
    weight = head.classifier.fc.weight
    assert torch.autograd.grad(losses['loss_scl'], weight)[0].abs().sum() > 0


def test_projector_batchnorm_sees_all_views_in_training():
    head = _head()
    feats, samples, _ = _batch()
    head.loss((feats, ), samples)
    # running mean after one step from 0 with momentum 0.1: 0.1 * mean over all 3N rows
    hidden = head.projector[0](feats).detach()
    torch.testing.assert_close(head.projector[1].running_mean, 0.1 * hidden.mean(0))


def test_prediction_is_the_classifiers():
    head = _head()
    feats, samples, _ = _batch()
    x = feats[:N]
    torch.testing.assert_close(head((x, )), _cosines(head, x))
    preds = head.predict((x, ), samples)
    assert [int(p.pred_label) for p in preds] == _cosines(head, x).argmax(1).tolist()
    scores, labels = head.batch_predictions(head((x, )))
    torch.testing.assert_close(scores, F.softmax(32.0 * _cosines(head, x), dim=1))
    linear = _head(classifier=dict(type='LinearClsHead', loss=dict(type='CrossEntropyLoss')))
    assert getattr(linear, 'batch_predictions', None) is None  # LinearClsHead has none
    assert linear((x, )).shape == (N, C)


def test_without_class_complement_there_is_no_prototype_mlp():
    head = _head(contrastive_loss=dict(type='BalancedSupConLoss', class_complement=False))
    assert head.prototype_mlp is None
    feats, samples, _ = _batch()
    assert torch.isfinite(head.loss((feats, ), samples)['loss_scl'])


@pytest.mark.parametrize('kwargs,feats,match', [
    (dict(), torch.randn(3 * N, 7), r'in_channels=12 but the neck gives features of shape '
     r'\(18, 7\).*in_channels=7'),
    (dict(), torch.randn(N, D), r'6 features for 6 images; training needs V >= 2 views'),
    (dict(classifier=dict(type='CosineClsHead', num_classes=5)), None,
     r'classifier.num_classes=5 differs'),
    (dict(feat_dim=0), None, 'feat_dim must be a positive int'),
    (dict(scl_weight=-1), None, 'scl_weight must be a number >= 0'),
])
def test_bad_configs_and_inputs(kwargs, feats, match):
    with pytest.raises(ValueError, match=match):
        head = _head(**kwargs)
        head.loss((feats, ), _batch()[1])


def test_soft_labels_are_refused():
    head = _head()
    feats, samples, _ = _batch()
    soft = [DataSample().set_gt_score(torch.full((C, ), 0.25)) for _ in samples]
    with pytest.raises(ValueError, match='BCLHead needs hard labels.*Mixup/CutMix'):
        head.loss((feats, ), soft)
