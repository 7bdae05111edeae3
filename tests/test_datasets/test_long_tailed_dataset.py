"""LongTailedDataset: the CIFAR-LT protocol over any labelled dataset (here MMPretrain's
``CustomDataset`` over ``<split>/<class>/NNNN.png`` trees, the layout of the JPEG CIFAR-10 copy,
written from the same images as official-format pickles so the two paths can be compared)."""
import os
import os.path as osp

import numpy as np
import pytest
from conftest import SMALL_N, SMALL_TEST, missing_data
from mmpretrain.datasets import CIFAR10, CustomDataset
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES
from mmpretrain.registry import DATASETS
from test_imbalance import C10_IF100

from mmltr.datasets import CIFAR10LT, LongTailedDataset, lt_class_sizes

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tree_cfg(tree, split, **kwargs):
    return dict(type='CustomDataset', data_root=tree, data_prefix=split, **kwargs)


def _tree_key(path):
    """(class name, number) of ``.../<class>/NNNN.png``."""
    return osp.basename(osp.dirname(path)), int(osp.splitext(osp.basename(path))[0])


def _pickle_key(indices, labels):
    """(class name, rank within class in file order) of pickle indices."""
    rank = np.empty(len(labels), dtype=np.int64)
    for c in range(10):
        where = np.where(labels == c)[0]
        rank[where] = np.arange(len(where))
    return [(CIFAR10_CATEGORIES[labels[i]], int(rank[i])) for i in indices]


@pytest.mark.parametrize('kwargs', [
    dict(imbalance_factor=10),
    dict(imbalance_factor=100, seed=3),
    dict(imbalance_factor=20, imb_type='step'),
    dict(imbalance_factor=10, meta_per_class=5),
    dict(imbalance_factor=10, meta_per_class=5, subset='meta'),
    dict(imbalance_factor=10, meta_per_class=5, selection='first'),
], ids=['if10', 'if100-seed3', 'step', 'holdout', 'meta', 'first'])
def test_long_tailed_dataset_equals_cifar10lt(small_cifar10, kwargs):
    tree, labels = small_cifar10['tree'], small_cifar10['labels']
    ref = CIFAR10LT(data_root=small_cifar10['root'], serialize_data=False, **kwargs)
    ref_imgs = np.stack([ref.get_data_info(i)['img'] for i in range(len(ref))])
    lt = LongTailedDataset(dataset=_tree_cfg(tree, 'train'), **kwargs)
    assert len(lt) == len(ref)
    assert lt.metainfo['class_counts'] == ref.metainfo['class_counts']
    assert lt.metainfo['classes'] == tuple(CIFAR10_CATEGORIES)
    np.testing.assert_array_equal(lt.get_gt_labels(), ref.get_gt_labels())
    # same images, same order: compare file identities, and the decoded pixels
    ref_pos = [int(np.where((small_cifar10['imgs'] == im).all(axis=(1, 2, 3)))[0][0])
               for im in ref_imgs[:3]]
    assert [_tree_key(lt.get_data_info(i)['img_path']) for i in range(3)] == \
        _pickle_key(ref_pos, labels)
    lt_pix = LongTailedDataset(
        dataset=_tree_cfg(tree, 'train', pipeline=[dict(type='LoadImageFromFile')]), **kwargs)
    for i in range(len(lt_pix)):
        np.testing.assert_array_equal(lt_pix[i]['img'][..., ::-1], ref_imgs[i])  # BGR -> RGB


def test_long_tailed_dataset_api(small_cifar10):
    base = CustomDataset(data_root=small_cifar10['tree'], data_prefix='train')
    lt = DATASETS.build(dict(type='LongTailedDataset', dataset=base, imbalance_factor=10))
    labels = lt.get_gt_labels()
    assert lt.get_cat_ids(3) == [int(labels[3])]
    assert lt.get_data_info(3)['img_path'] == base.get_data_info(int(lt.indices[3]))['img_path']
    assert lt.CLASSES == tuple(CIFAR10_CATEGORIES)
    assert 'class_counts' not in base.metainfo  # the wrapped dataset is untouched
    # get_subset(_) with MMEngine's semantics, on the selection (the wrapped dataset untouched)
    sub = lt.get_subset(3)
    assert len(sub) == 3 and list(sub.get_gt_labels()) == list(labels[:3])
    assert sub.get_data_info(2)['img_path'] == lt.get_data_info(2)['img_path']
    assert len(lt) > 3 and sub.metainfo == lt.metainfo
    tail = lt.get_subset(-2)
    assert list(tail.indices) == list(lt.indices[-2:])
    keep = lt.get_subset([4, 0, 4])
    keep_ = lt.get_subset(len(lt))
    keep_.get_subset_([4, 0, 4])
    assert list(keep.indices) == list(keep_.indices) == [lt.indices[4], lt.indices[0],
                                                         lt.indices[4]]
    assert keep.get_cat_ids(1) == [int(labels[0])]
    with pytest.raises(IndexError):
        lt.get_subset([len(lt)])
    lazy = LongTailedDataset(dataset=base, imbalance_factor=10, lazy_init=True)
    assert not lazy._fully_initialized
    assert lazy.metainfo['class_counts'] == lt.metainfo['class_counts']  # triggers full_init
    assert len(lazy) == len(lt) and 'IF=10' in repr(lazy)


def test_long_tailed_dataset_never_decodes_images(small_cifar10, monkeypatch):
    import mmcv

    def boom(*args, **kwargs):
        raise AssertionError('an image was decoded')

    monkeypatch.setattr(mmcv, 'imfrombytes', boom)
    lt = LongTailedDataset(dataset=_tree_cfg(small_cifar10['tree'], 'train',
                                             pipeline=[dict(type='LoadImageFromFile')]),
                           imbalance_factor=10)
    test = LongTailedDataset(dataset=_tree_cfg(small_cifar10['tree'], 'test'), subsample=False,
                             imbalance_factor=10, train_dataset=_tree_cfg(small_cifar10['tree'],
                                                                          'train'))
    assert len(lt) and len(test) == 10 * SMALL_TEST


def test_long_tailed_dataset_eval_split(small_cifar10, monkeypatch):
    tree, root = small_cifar10['tree'], small_cifar10['root']
    ref_test = CIFAR10LT(data_root=root, split='test', imbalance_factor=10, meta_per_class=5)
    test = LongTailedDataset(dataset=_tree_cfg(tree, 'test'), subsample=False,
                             train_dataset=_tree_cfg(tree, 'train'), imbalance_factor=10,
                             meta_per_class=5)
    assert len(test) == 10 * SMALL_TEST and test.mode == 'eval'
    assert test.metainfo['class_counts'] == ref_test.metainfo['class_counts']
    np.testing.assert_array_equal(test.get_gt_labels(),
                                  np.sort(small_cifar10['test_labels'], kind='stable'))
    # subsample defaults to False when train_dataset/class_counts are given
    implicit = LongTailedDataset(dataset=_tree_cfg(tree, 'test'),
                                 train_dataset=_tree_cfg(tree, 'train'), imbalance_factor=10,
                                 meta_per_class=5)
    assert implicit.metainfo['class_counts'] == test.metainfo['class_counts']
    explicit = LongTailedDataset(dataset=_tree_cfg(tree, 'test'), class_counts=range(10, 0, -1))
    assert explicit.metainfo['class_counts'] == tuple(range(10, 0, -1))
    assert len(explicit) == 10 * SMALL_TEST
    # a dataset config with `split`: the train split is derived (md5 check off for fake files)
    monkeypatch.setattr(CIFAR10, '_check_integrity', lambda self: True)
    derived = LongTailedDataset(
        dataset=dict(type='CIFAR10', data_root=root, split='test', download=False),
        subsample=False, imbalance_factor=10)
    assert list(derived.metainfo['class_counts']) == lt_class_sizes(SMALL_N, 10, 10)
    assert len(derived) == 10 * SMALL_TEST
    # `indices` takes a subset of the evaluation split; the training counts stay those of the full
    # train split (they used to come from the first `indices` training images)
    subset = LongTailedDataset(
        dataset=dict(type='CIFAR10', data_root=root, split='test', download=False, indices=15),
        subsample=False, imbalance_factor=10)
    assert subset.metainfo['class_counts'] == derived.metainfo['class_counts']
    assert len(subset) == 15


def test_long_tailed_dataset_bad_inputs(small_cifar10):
    tree = small_cifar10['tree']
    with pytest.raises(ValueError, match='not both'):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), train_dataset=_tree_cfg(tree, 'train'),
                          class_counts=[1] * 10)
    with pytest.raises(ValueError, match='subsample=False'):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), subsample=True, class_counts=[1] * 10)
    with pytest.raises(ValueError, match='train_dataset=<the raw training set'):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), subsample=False)
    with pytest.raises(ValueError, match='9 training class counts for a dataset with 10'):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), class_counts=[5] * 9)
    for bad in ([5] * 9 + [-1], [5] * 9 + [2.5], [[5] * 10]):
        with pytest.raises(ValueError, match='LongTailedDataset: class_counts must'):
            LongTailedDataset(dataset=_tree_cfg(tree, 'test'), class_counts=bad)
    with pytest.raises(ValueError, match='raw training set'):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), imbalance_factor=10, train_dataset=dict(
            type='LongTailedDataset', dataset=_tree_cfg(tree, 'train'), imbalance_factor=10))
    with pytest.raises(ValueError, match="subset='meta'"):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), class_counts=[1] * 10, subset='meta',
                          meta_per_class=2)
    with pytest.raises(TypeError, match='LongTailedDataset: dataset must be a dataset config'):
        LongTailedDataset(dataset='train/')
    with pytest.raises(TypeError, match='LongTailedDataset: train_dataset must be a dataset'):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), train_dataset='train/')
    with pytest.raises(FileNotFoundError):
        LongTailedDataset(dataset=dict(type='CIFAR10LT', data_root=osp.join(tree, 'nowhere')))


@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # mmpretrain's MNIST, once per image
def test_long_tailed_fashion_mnist(fashion_mnist):
    train = dict(type='FashionMNIST', data_root=fashion_mnist, split='train', download=False,
                 serialize_data=False)
    lt = LongTailedDataset(dataset=train, imbalance_factor=500)
    assert list(lt.metainfo['class_counts']) == lt_class_sizes(6000, 10, 500)
    test = LongTailedDataset(
        dataset=dict(type='FashionMNIST', data_root=fashion_mnist, split='test', test_mode=True,
                     download=False, serialize_data=False), subsample=False, imbalance_factor=500)
    assert len(test) == 10000 and test.metainfo['class_counts'] == lt.metainfo['class_counts']


JPEG_TREE = os.environ.get('MMLTR_CIFAR10_JPEG', osp.join(ROOT, 'data', 'cifar10-jpeg'))


def test_real_cifar10_jpeg_tree_selects_official_lt_subset():
    """``CustomDataset`` over the real JPEG CIFAR-10 ``train/`` tree + ``LongTailedDataset``
    picks, per class, the files numbered like the images the official CIFAR-10-LT (IF100) keeps.

    Within a class the files are numbered in official order, and the protocol only permutes
    per-class positions: class c keeps positions ``perm_c[:n_c]`` with ``perm_c`` the c-th
    sequential ``RandomState(0).shuffle`` of ``arange(5000)``. Only file names are read.
    """
    if not osp.isdir(osp.join(JPEG_TREE, 'train')):
        missing_data('cifar10-jpeg',
                     'the JPEG CIFAR-10 tree is not in data/cifar10-jpeg (or MMLTR_CIFAR10_JPEG)')
    lt = LongTailedDataset(dataset=_tree_cfg(JPEG_TREE, 'train'), imbalance_factor=100)
    assert lt.metainfo['classes'] == tuple(CIFAR10_CATEGORIES)
    assert list(lt.metainfo['class_counts']) == C10_IF100
    rng = np.random.RandomState(0)
    expected = []
    for c, n_c in enumerate(C10_IF100):
        perm = np.arange(5000)
        rng.shuffle(perm)
        expected += [(CIFAR10_CATEGORIES[c], int(p)) for p in perm[:n_c]]
    got = [_tree_key(lt.get_data_info(i)['img_path']) for i in range(len(lt))]
    assert got == expected
