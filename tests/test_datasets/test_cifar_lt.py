"""CIFAR10LT / CIFAR100LT on generated data in the official python-pickle format.

The full-size sets have the real 5,000 (500) images per class in randomly interleaved classes, so
the long-tailed counts are the published ones and the selection is compared with LDAM-DRW's own
generator image by image.
"""
import os
import shutil

import numpy as np
import pytest
from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.registry import DATASETS
from test_imbalance import C10_IF100, TABLE, ldam_reference

from mmltr.datasets import CIFAR10LT, CIFAR100LT, LongTailedDataset, lt_class_sizes

SMALL_N = 100  # images per class of the small set


@pytest.fixture(scope='module')
def cifar10(tmp_path_factory, fake_cifar):
    root = str(tmp_path_factory.mktemp('cifar10'))
    imgs, labels, test_imgs, test_labels = fake_cifar(root, 10, per_class=5000,
                                                      test_per_class=1000, learnable=False)
    return dict(root=root, imgs=imgs, labels=labels, test_imgs=test_imgs, test_labels=test_labels)


@pytest.fixture(scope='module')
def cifar100(tmp_path_factory, fake_cifar):
    root = str(tmp_path_factory.mktemp('cifar100'))
    imgs, labels, _, _ = fake_cifar(root, 100, per_class=500, test_per_class=100, seed=1,
                                    learnable=False)
    return dict(root=root, imgs=imgs, labels=labels)


@pytest.fixture(scope='module')
def small_cifar10(tmp_path_factory, fake_cifar):
    root = str(tmp_path_factory.mktemp('small_cifar10'))
    imgs, labels, _, _ = fake_cifar(root, 10, per_class=SMALL_N, test_per_class=10, seed=5,
                                    learnable=False)
    return dict(root=root, imgs=imgs, labels=labels)


def _lt(cls, root, **kwargs):
    kwargs.setdefault('serialize_data', False)  # faster in tests; serialization tested below
    return cls(data_root=root, **kwargs)


def _images(ds):
    return np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])


def test_cifar10lt_is_mmpretrain_cifar10_and_registered():
    assert issubclass(CIFAR10LT, CIFAR10) and issubclass(CIFAR100LT, CIFAR100)
    assert DATASETS.get('CIFAR10LT') is CIFAR10LT and DATASETS.get('CIFAR100LT') is CIFAR100LT


@pytest.mark.parametrize('imbalance_factor', [10, 50, 100, 200])
def test_cifar10lt_counts(cifar10, imbalance_factor):
    ds = _lt(CIFAR10LT, cifar10['root'], imbalance_factor=imbalance_factor)
    total, n_max, n_min = TABLE[(10, imbalance_factor)][:3]
    counts = ds.metainfo['class_counts']
    assert isinstance(counts, tuple) and all(type(c) is int for c in counts)
    assert (len(ds), max(counts), min(counts)) == (total, n_max, n_min)
    np.testing.assert_array_equal(np.bincount(ds.get_gt_labels(), minlength=10), counts)
    if imbalance_factor == 100:
        assert list(counts) == C10_IF100


@pytest.mark.parametrize('imbalance_factor', [10, 50, 100, 200])
def test_cifar100lt_counts(cifar100, imbalance_factor):
    ds = _lt(CIFAR100LT, cifar100['root'], imbalance_factor=imbalance_factor)
    total, n_max, n_min = TABLE[(100, imbalance_factor)][:3]
    counts = ds.metainfo['class_counts']
    assert (len(ds), max(counts), min(counts), len(counts)) == (total, n_max, n_min, 100)
    np.testing.assert_array_equal(np.bincount(ds.get_gt_labels(), minlength=100), counts)


def test_cifar10lt_reproduces_ldam_selection_exactly(cifar10):
    ds = CIFAR10LT(data_root=cifar10['root'], imbalance_factor=100)  # serialized, like training
    ref = ldam_reference(cifar10['labels'], 10, 100)
    assert len(ds) == len(ref) == 12406
    np.testing.assert_array_equal(ds.get_gt_labels(), cifar10['labels'][ref])
    for i in (0, 1, 4999, 5000, 9000, 12405):
        info = ds.get_data_info(i)
        np.testing.assert_array_equal(info['img'], cifar10['imgs'][ref[i]])
        assert info['gt_label'] == cifar10['labels'][ref[i]]


def test_cifar100lt_reproduces_ldam_selection_exactly(cifar100):
    ds = _lt(CIFAR100LT, cifar100['root'], imbalance_factor=100)
    ref = ldam_reference(cifar100['labels'], 100, 100)
    np.testing.assert_array_equal(ds.get_gt_labels(), cifar100['labels'][ref])
    np.testing.assert_array_equal(ds.get_data_info(len(ds) - 1)['img'], cifar100['imgs'][ref[-1]])


def test_cifar_lt_determinism(small_cifar10):
    root = small_cifar10['root']
    a = _lt(CIFAR10LT, root, imbalance_factor=10, seed=0)
    b = _lt(CIFAR10LT, root, imbalance_factor=10, seed=0)
    c = _lt(CIFAR10LT, root, imbalance_factor=10, seed=1)
    np.testing.assert_array_equal(_images(a), _images(b))
    assert a.metainfo['class_counts'] == c.metainfo['class_counts']
    assert not np.array_equal(_images(a), _images(c))


def test_cifar_test_split_full_with_training_counts(cifar10, monkeypatch):
    read_splits = []
    orig = CIFAR10LT._read_split

    def spy(self, entries):
        read_splits.append([n for n, _ in entries])
        return orig(self, entries)

    monkeypatch.setattr(CIFAR10LT, '_read_split', spy)
    ds = _lt(CIFAR10LT, cifar10['root'], split='test', imbalance_factor=100)
    assert read_splits == [['test_batch']]  # the train batches' images are never assembled
    assert len(ds) == 10000
    assert list(ds.metainfo['class_counts']) == C10_IF100
    np.testing.assert_array_equal(ds.get_gt_labels(), cifar10['test_labels'])
    np.testing.assert_array_equal(ds.get_data_info(7)['img'], cifar10['test_imgs'][7])
    test50 = _lt(CIFAR10LT, cifar10['root'], split='test', imbalance_factor=50, meta_per_class=25)
    assert list(test50.metainfo['class_counts']) == lt_class_sizes(4975, 10, 50)


def test_cifar100_test_split(cifar100):
    ds = _lt(CIFAR100LT, cifar100['root'], split='test', imbalance_factor=100)
    assert len(ds) == 10000 and sum(ds.metainfo['class_counts']) == 10847


def test_cifar_meta_holdout(cifar100):
    root = cifar100['root']
    labels = cifar100['labels']
    lt = _lt(CIFAR100LT, root, imbalance_factor=100, meta_per_class=25)
    meta = _lt(CIFAR100LT, root, imbalance_factor=100, meta_per_class=25, subset='meta')
    test = _lt(CIFAR100LT, root, split='test', imbalance_factor=100, meta_per_class=25)
    sizes = lt_class_sizes(475, 100, 100)
    assert list(lt.metainfo['class_counts']) == sizes and len(lt) == 10302
    assert meta.metainfo['class_counts'] == lt.metainfo['class_counts'] \
        == test.metainfo['class_counts']
    # meta: exactly the last 25 images of every class in file order, class by class
    expected = np.concatenate([np.where(labels == c)[0][-25:] for c in range(100)])
    assert len(meta) == 2500
    np.testing.assert_array_equal(np.bincount(meta.get_gt_labels()), [25] * 100)
    for i in (0, 24, 25, 2499):
        np.testing.assert_array_equal(meta.get_data_info(i)['img'],
                                      cifar100['imgs'][expected[i]])
    # lt: the LDAM protocol on what is left (n_max 475), disjoint from the meta set
    rest = np.concatenate([np.where(labels == c)[0][:-25] for c in range(100)])
    ref = rest[ldam_reference(labels[rest], 100, 100, n_max=475)]
    np.testing.assert_array_equal(lt.get_gt_labels(), labels[ref])
    assert not set(ref.tolist()) & set(expected.tolist())
    np.testing.assert_array_equal(lt.get_data_info(0)['img'], cifar100['imgs'][ref[0]])


def test_cifar_first_selection_and_step(small_cifar10):
    root, labels = small_cifar10['root'], small_cifar10['labels']
    first = _lt(CIFAR10LT, root, imbalance_factor=10, meta_per_class=5, selection='first')
    sizes = lt_class_sizes(SMALL_N - 5, 10, 10)
    expected = np.concatenate([np.where(labels == c)[0][:sizes[c]] for c in range(10)])
    np.testing.assert_array_equal(_images(first), small_cifar10['imgs'][expected])
    step = _lt(CIFAR10LT, root, imbalance_factor=10, imb_type='step')
    assert list(step.metainfo['class_counts']) == [SMALL_N] * 5 + [SMALL_N // 10] * 5


def test_cifar_built_from_config_and_indices_keep_labels_in_sync(small_cifar10):
    ds = DATASETS.build(dict(type='CIFAR10LT', data_root=small_cifar10['root'],
                             imbalance_factor=10, indices=[5, 3, -1]))
    full = CIFAR10LT(data_root=small_cifar10['root'], imbalance_factor=10)
    all_labels = full.get_gt_labels()
    np.testing.assert_array_equal(ds.get_gt_labels(), all_labels[[5, 3, -1]])
    sub = full.get_subset(-4)
    np.testing.assert_array_equal(sub.get_gt_labels(), all_labels[-4:])
    assert sub.get_cat_ids(1) == [int(all_labels[-3])] == [sub.get_data_info(1)['gt_label']]
    full.get_subset_([2, 0])
    np.testing.assert_array_equal(full.get_gt_labels(), all_labels[[2, 0]])


@pytest.mark.parametrize('bad', [0.5, 0.01, 0, -3, float('nan'), float('inf'), '100', None, True])
def test_bad_imbalance_factor(small_cifar10, bad):
    with pytest.raises(ValueError, match='imbalance_factor'):
        CIFAR10LT(data_root=small_cifar10['root'], imbalance_factor=bad)
    with pytest.raises(ValueError, match='imbalance_factor'):
        LongTailedDataset(dataset=dict(type='CustomDataset', data_root='nowhere'),
                          imbalance_factor=bad, lazy_init=True)


def test_imbalance_factor_hint_for_ldam_style_value(small_cifar10):
    with pytest.raises(ValueError, match='imbalance_factor=100'):
        CIFAR10LT(data_root=small_cifar10['root'], imbalance_factor=0.01)


def test_bad_protocol_arguments(small_cifar10):
    root = small_cifar10['root']
    with pytest.raises(ValueError, match="unknown imb_type 'linear'"):
        CIFAR10LT(data_root=root, imb_type='linear')
    with pytest.raises(ValueError, match="unknown imb_type"):
        LongTailedDataset(dataset=dict(type='CustomDataset', data_root=root), imb_type='Exp')
    with pytest.raises(ValueError, match='meta_per_class > 0'):
        CIFAR10LT(data_root=root, subset='meta')
    with pytest.raises(ValueError, match="split='test'"):
        CIFAR10LT(data_root=root, split='test', subset='meta', meta_per_class=5)
    with pytest.raises(ValueError, match='subset must be one of'):
        CIFAR10LT(data_root=root, subset='val')
    with pytest.raises(ValueError, match=r"selection must be one of \('random', 'first'\)"):
        CIFAR10LT(data_root=root, selection='last')
    with pytest.raises(ValueError, match='meta_per_class'):
        CIFAR10LT(data_root=root, meta_per_class=-1)
    with pytest.raises(ValueError, match='leaves no training image'):
        CIFAR10LT(data_root=root, meta_per_class=SMALL_N)


def test_missing_cifar_files_raise_clear_error_without_network(tmp_path, monkeypatch,
                                                               small_cifar10):
    import mmltr.datasets.cifar_lt as cifar_lt

    def no_network(*args, **kwargs):
        raise AssertionError('a download was attempted')

    monkeypatch.setattr(cifar_lt, 'download_and_extract_archive', no_network)
    with pytest.raises(FileNotFoundError, match=r'missing data file.*data_batch_1.*download=True'):
        CIFAR10LT(data_root=str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match='cifar-100-python.*train'):
        CIFAR100LT(data_root=str(tmp_path), split='test')
    # only the test batch missing: the test split names it
    partial = tmp_path / 'partial'
    shutil.copytree(small_cifar10['root'], str(partial))
    os.remove(partial / 'cifar-10-batches-py' / 'test_batch')
    assert len(CIFAR10LT(data_root=str(partial), imbalance_factor=10)) > 0  # train unaffected
    with pytest.raises(FileNotFoundError, match='test_batch'):
        CIFAR10LT(data_root=str(partial), split='test')
    # download=True really asks for a download
    with pytest.raises(AssertionError, match='download was attempted'):
        CIFAR10LT(data_root=str(tmp_path / 'nowhere'), download=True)


@pytest.mark.parametrize('split', ['train', 'test'])
def test_corrupt_cifar_pickle_names_the_file(tmp_path, small_cifar10, split):
    root = tmp_path / 'corrupt'
    shutil.copytree(small_cifar10['root'], str(root))
    batch = root / 'cifar-10-batches-py' / 'data_batch_3'
    batch.write_bytes(batch.read_bytes()[:1000])  # truncated download
    with pytest.raises(ValueError, match=r'data_batch_3: not a readable CIFAR python pickle'):
        CIFAR10LT(data_root=str(root), split=split)
