"""LabelBatch (fast-path data samples): reads like a list of DataSample; every method's train_step
gives the same losses and parameters with it as with DataSample lists."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401
from mmltr.engine.fast_path import LabelBatch
from mmltr.engine.fast_path.samples import (
    LabelSample,
    batch_samples,
    keeps_hard_labels,
    label_views,
    make_samples,
)

init_default_scope('mmpretrain')
torch.set_num_threads(1)


# ----------------------------------------------------------------------------------------------
# the batch object
# ----------------------------------------------------------------------------------------------
def test_label_batch_reads_like_a_list_of_data_samples():
    labels = torch.tensor([3, 1, 4, 1, 5])
    batch, ref = LabelBatch(labels, [10, 11, 12, 13, 14]), make_samples(labels, range(10, 15))
    assert len(batch) == len(ref) == 5
    items = list(batch)
    assert batch[0] is items[0] and batch[-1] is items[4] and batch[1:3] == items[1:3]
    for item, want in zip(batch, ref):
        assert torch.equal(item.gt_label, want.gt_label) and item.gt_label.shape == (1, )
        assert item.gt_label.untyped_storage().data_ptr() == labels.untyped_storage().data_ptr()
        for key in ('gt_label', 'gt_score', 'sample_idx', 'pred_label'):
            assert (key in item) == (key in want), key
        assert item.metainfo == want.metainfo and item.sample_idx == want.sample_idx
        assert item.get('sample_idx') == want.get('sample_idx')
        assert item.get('gt_score', 'none') == want.get('gt_score', 'none') == 'none'
    # what MMPretrain's heads and the data preprocessor read
    assert torch.equal(torch.cat([s.gt_label for s in batch]), labels)
    plain = LabelBatch(labels)[2]
    assert plain.metainfo == {} and 'sample_idx' not in plain and plain.get('gt_label') is not None


def test_label_sample_becomes_a_data_sample_for_anything_else():
    batch = LabelBatch(torch.tensor([2, 0]), [7, 8])
    item = batch[0]
    score = torch.tensor([0.1, 0.2, 0.7])
    out = item.set_pred_score(score)  # e.g. a head's predict on a device loader's batch
    assert isinstance(out, DataSample) and out is item.data_sample()
    assert 'pred_score' in item and torch.equal(item.pred_score, score)
    assert item.sample_idx == 7 and torch.equal(item.gt_label, torch.tensor([2]))
    item.set_gt_label(1)  # later reads see the DataSample's fields
    assert torch.equal(item.gt_label, torch.tensor([1]))
    item.note = 'x'
    assert out.note == 'x' and item.metainfo == out.metainfo
    other = LabelBatch(torch.tensor([2, 0]))[1]
    other.gt_label = torch.tensor([4])  # assigning makes it a DataSample as well
    assert torch.equal(other.gt_label, torch.tensor([4])) and other.data_sample().gt_label is \
        other.gt_label and 'gt_label' in other
    samples = batch.to_data_samples()
    assert samples[0] is out and isinstance(samples[1], DataSample)
    assert torch.equal(samples[1].gt_label, torch.tensor([0])) and samples[1].sample_idx == 8
    with pytest.raises(AttributeError):
        item.__missing_dunder__


def test_label_batch_on_label_views_made_once():
    """The fast loops make every image's label view once and pick a batch's views by index."""
    dataset_labels = torch.tensor([4, 2, 0, 3])
    views = label_views(dataset_labels)
    assert len(views) == 4 and all(v.shape == (1, ) for v in views)
    assert all(v.untyped_storage().data_ptr() == dataset_labels.untyped_storage().data_ptr()
               for v in views)
    index = [3, 0, 3, 1]  # a re-sampling sampler may pick an image twice in one batch
    batch = LabelBatch(dataset_labels[index], index, [views[i] for i in index])
    ref = make_samples(dataset_labels[index], index)
    assert [item.gt_label for item in batch] == [views[i] for i in index]
    assert torch.equal(torch.cat([s.gt_label for s in batch]), torch.tensor([3, 4, 3, 2]))
    for item, want in zip(batch, ref):
        assert isinstance(item, LabelSample) and torch.equal(item.gt_label, want.gt_label)
        assert item.metainfo == want.metainfo and ('pred_label' in item) is False
    # the items are the batch's own: writing to one leaves the others and the views alone
    batch[0].set_gt_label(1)
    assert torch.equal(batch[0].gt_label, torch.tensor([1])) and batch[2].gt_label is views[3]
    assert torch.equal(dataset_labels, torch.tensor([4, 2, 0, 3]))
    # built without __init__, the items are those of the constructor
    made = LabelSample.many(views[:2], [None, dict(sample_idx=5)])
    for item, want in zip(made, (LabelSample(views[0]), LabelSample(views[1], dict(sample_idx=5)))):
        assert item.gt_label is want.gt_label and item.metainfo == want.metainfo
        assert ('sample_idx' in item) == ('sample_idx' in want)
        assert item.get('sample_idx', -1) == want.get('sample_idx', -1)
    assert batch_samples(dataset_labels[:2], views=views[:2])[1].gt_label is views[1]


def test_label_batch_bad_arguments():
    with pytest.raises(ValueError, match=r'labels must have shape \(N,\), got \(2, 1\)'):
        LabelBatch(torch.zeros(2, 1, dtype=torch.long))
    with pytest.raises(ValueError, match='1 sample_idx values for 2 labels'):
        LabelBatch(torch.zeros(2, dtype=torch.long), [0])
    with pytest.raises(ValueError, match='3 label views for 2 labels'):
        LabelBatch(torch.zeros(2, dtype=torch.long), None, torch.zeros(3).split(1))


def test_batch_samples_and_keeps_hard_labels():
    labels = torch.tensor([1, 0, 2])
    assert isinstance(batch_samples(labels), LabelBatch)
    samples = batch_samples(labels, [4, 5, 6], label_batch=False)
    assert all(isinstance(s, DataSample) for s in samples) and samples[2].sample_idx == 6
    plain = ClsDataPreprocessor(mean=[128.] * 3, std=[64.] * 3)
    assert keeps_hard_labels(plain)
    batch = LabelBatch(labels)
    out = plain(dict(inputs=torch.zeros(3, 3, 4, 4, dtype=torch.uint8), data_samples=batch),
                True)
    assert out['data_samples'] is batch  # passed through: the labels reach the head as they are
    assert not keeps_hard_labels(ClsDataPreprocessor(num_classes=3, to_onehot=True))
    assert not keeps_hard_labels(ClsDataPreprocessor(
        num_classes=3, batch_augments=dict(augments=dict(type='Mixup', alpha=0.8))))

    class Own(ClsDataPreprocessor):

        def forward(self, data, training=False):
            return super().forward(data, training)

    assert not keeps_hard_labels(Own()) and not keeps_hard_labels(None)


# ----------------------------------------------------------------------------------------------
# every method: the same losses and updates as with DataSample lists
# ----------------------------------------------------------------------------------------------
C = 5
COUNTS = [40, 20, 10, 5, 2]
HEADS = {
    'CE': dict(type='LinearClsHead', loss=dict(type='CrossEntropyLoss')),
    'BS': dict(type='LinearClsHead', loss=dict(type='BalancedSoftmaxLoss')),
    'LDAM-DRW': dict(type='CosineClsHead', loss=dict(type='LDAMLoss', drw_epoch=0)),
    'DBM-BS': dict(type='CosineClsHead', loss=dict(type='DBMLoss', base='bs')),
    'GHM-CWAP': dict(type='LinearClsHead', loss=dict(type='GHMCWAPLoss', num_classes=C)),
    'Seesaw': dict(type='LinearClsHead', loss=dict(type='SeesawLoss', num_classes=C)),
    'Difficulty-Net': dict(type='LinearClsHead', loss=dict(type='CrossEntropyLoss')),
}
DN_OPTIM = dict(constructor='DifficultyNetOptimWrapperConstructor',
                model=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
                difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-2)))


def _model(method):
    torch.manual_seed(0)
    cfg = dict(type='ImageClassifier', backbone=dict(type='ResNet32_CIFAR', depth=8),
               neck=dict(type='GlobalAveragePooling'),
               head=dict(HEADS[method], num_classes=C, in_channels=64),
               data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=C,
                                      mean=[128.] * 3, std=[64.] * 3))
    if method == 'Difficulty-Net':
        cfg.update(type='DifficultyNetClassifier',
                   difficulty_net=dict(type='DifficultyNet', hidden_dims=(16, 16), bias=False))
    model = MODELS.build(cfg)
    model.init_weights()
    for module in model.modules():
        if getattr(module, 'needs_class_counts', False):
            module.set_class_counts(COUNTS)
    model.train()
    return model


def _optim_wrapper(model, method):
    if method == 'Difficulty-Net':
        return build_optim_wrapper(model, copy.deepcopy(DN_OPTIM))
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))


def _batches(n, size, seed):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randint(0, 256, (size, 3, 16, 16), dtype=torch.uint8, generator=g),
             torch.randint(0, C, (size, ), generator=g)) for _ in range(n)]


def _train(model, method, batches, meta, label_batch):
    ow = _optim_wrapper(model, method)
    if method == 'Difficulty-Net':
        model.set_class_accuracy(torch.linspace(0.2, 0.9, C))
        model.set_meta_loader(iter([dict(inputs=x, data_samples=batch_samples(y, None, label_batch))
                                    for x, y in meta]))
    logs = []
    for x, y in batches:
        out = model.train_step(dict(inputs=x, data_samples=batch_samples(y, None, label_batch)),
                               optim_wrapper=ow)
        logs.append({k: v.detach().clone() for k, v in out.items()})
    return logs


@pytest.mark.parametrize('method', list(HEADS))
def test_every_method_trains_identically_on_a_label_batch(method):
    batches, meta = _batches(3, 12, seed=1), _batches(3, 10, seed=2)
    model = _model(method)
    twin = copy.deepcopy(model)
    logs = _train(model, method, batches, meta, label_batch=True)
    ref = _train(twin, method, batches, meta, label_batch=False)
    for got, want in zip(logs, ref):
        assert got.keys() == want.keys()
        for key in want:
            assert torch.equal(got[key], want[key]), (method, key)
    for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        assert torch.equal(a, b), (method, name)
