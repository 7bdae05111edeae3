"""mmltr's long-tailed datasets on generated data in the official on-disk formats.

* CIFAR-10/100: ``cifar-10-batches-py`` / ``cifar-100-python`` pickles with the official file names
  and keys, random uint8 images, balanced classes interleaved in random order (like the real
  archives), 5000/500 images per class so the counts are the real ones.
* The same images as a lossless PNG folder tree ``train/<class>/NNNN.png`` (NNNN = order of
  appearance in the pickles, the numbering of ``cifar10-jpeg``) for ``LongTailedDataset`` over
  ``CustomDataset``.
* ``relative/path.jpg label`` list files for ImageNet-LT / iNaturalist 2018 / Places-LT.
"""
import os
import os.path as osp
import pickle
import shutil
import subprocess

import numpy as np
import pytest

import mmltr  # noqa: F401  (registers everything)
from mmltr.datasets import (CIFAR10LT, CIFAR100LT, ImageNetLT, INaturalist2018, LongTailedDataset,
                            LTListDataset, PlacesLT, long_tailed_indices, lt_class_sizes,
                            lt_counts_from_available)
from mmpretrain.datasets import CIFAR10, CIFAR100, CustomDataset
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES, CIFAR100_CATEGORIES
from mmpretrain.registry import DATASETS

JPEG_TAR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '..', 'shared', 'data',
                    'cifar10-jpeg.tar.gz')
JPEG_TAR = os.environ.get('MMLTR_CIFAR10_JPEG_TAR', osp.normpath(JPEG_TAR))

# ecosystem.md §5 / methods.md §4.1: (C, IF) -> total, max, min, many, medium, few
TABLE = {
    (10, 10): (20431, 5000, 500, 10, 0, 0),
    (10, 50): (13996, 5000, 100, 9, 1, 0),
    (10, 100): (12406, 5000, 50, 8, 2, 0),
    (10, 200): (11203, 5000, 25, 7, 3, 0),
    (100, 10): (19573, 500, 50, 69, 31, 0),
    (100, 20): (15907, 500, 25, 53, 47, 0),
    (100, 50): (12608, 500, 10, 41, 41, 18),
    (100, 100): (10847, 500, 5, 35, 35, 30),
    (100, 200): (9502, 500, 2, 30, 31, 39),
}
C10_IF100 = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


# ---------------------------------------------------------------------------- fake data
def _balanced_labels(rng, num_classes, per_class):
    labels = np.repeat(np.arange(num_classes), per_class)
    rng.shuffle(labels)
    return labels


def _dump(path, obj):
    # The originals are Python-2 protocol-2 pickles; protocol 4 loads through the same code
    # (pickle.loads(..., encoding='latin1')) and is much faster to write.
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=4)


def write_fake_cifar10(root, per_class=5000, test_per_class=1000, seed=0):
    """Returns train images (N,32,32,3) RGB, train labels, test images, test labels."""
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    labels = _balanced_labels(rng, 10, per_class)
    data = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
    for b, (d, l) in enumerate(zip(np.array_split(data, 5), np.array_split(labels, 5)), 1):
        _dump(osp.join(folder, f'data_batch_{b}'),
              {'batch_label': f'training batch {b} of 5', 'labels': l.tolist(), 'data': d,
               'filenames': [f'img_{b}_{i}.png' for i in range(len(l))]})
    test_labels = _balanced_labels(rng, 10, test_per_class)
    test_data = rng.integers(0, 256, (len(test_labels), 3072), dtype=np.uint8)
    _dump(osp.join(folder, 'test_batch'),
          {'batch_label': 'testing batch 1 of 1', 'labels': test_labels.tolist(),
           'data': test_data, 'filenames': [f't_{i}.png' for i in range(len(test_labels))]})
    _dump(osp.join(folder, 'batches.meta'),
          {'label_names': list(CIFAR10_CATEGORIES), 'num_cases_per_batch': len(labels) // 5,
           'num_vis': 3072})

    def hwc(x):
        return x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)

    return hwc(data), labels, hwc(test_data), test_labels


def write_fake_cifar100(root, per_class=500, test_per_class=100, seed=1):
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    out = []
    for split, n in (('train', per_class), ('test', test_per_class)):
        labels = _balanced_labels(rng, 100, n)
        data = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
        _dump(osp.join(folder, split),
              {'filenames': [f'{split}_{i}.png' for i in range(len(labels))],
               'batch_label': f'{split}ing batch 1 of 1', 'fine_labels': labels.tolist(),
               'coarse_labels': (labels // 5).tolist(), 'data': data})
        out += [data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels]
    _dump(osp.join(folder, 'meta'), {'fine_label_names': list(CIFAR100_CATEGORIES),
                                     'coarse_label_names': [f'c{i}' for i in range(20)]})
    return tuple(out)


def write_png_tree(root, images, labels, classes=CIFAR10_CATEGORIES):
    """``root/<class>/NNNN.png``, NNNN = rank of the image within its class in file order."""
    import cv2
    rank = np.zeros(len(classes), dtype=np.int64)
    for c in classes:
        os.makedirs(osp.join(root, c), exist_ok=True)
    for img, label in zip(images, labels):
        path = osp.join(root, classes[label], f'{rank[label]:04d}.png')
        assert cv2.imwrite(path, np.ascontiguousarray(img[..., ::-1]))  # RGB -> BGR for OpenCV
        rank[label] += 1


def write_list(path, labels, prefix='train'):
    lines = ''.join(f'{prefix}/{int(l)}/{i:07d}.jpg {int(l)}\n' for i, l in enumerate(labels))
    with open(path, 'w') as f:
        f.write(lines)


def ldam_reference(labels, num_classes, imbalance_factor, seed=0, n_max=None):
    """LDAM-DRW's IMBALANCECIFAR10.gen_imbalanced_data with the *global* numpy RNG."""
    labels = np.asarray(labels)
    if n_max is None:
        n_max = len(labels) / num_classes
    img_num = [int(n_max * ((1. / imbalance_factor)**(c / (num_classes - 1.0))))
               for c in range(num_classes)]
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        selected = []
        for the_class, the_img_num in zip(np.unique(labels), img_num):
            idx = np.where(labels == the_class)[0]
            np.random.shuffle(idx)
            selected.append(idx[:the_img_num])
    finally:
        np.random.set_state(state)
    return np.concatenate(selected)


@pytest.fixture(scope='module')
def cifar10(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('cifar10'))
    imgs, labels, test_imgs, test_labels = write_fake_cifar10(root)
    return dict(root=root, imgs=imgs, labels=labels, test_imgs=test_imgs, test_labels=test_labels)


@pytest.fixture(scope='module')
def cifar100(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('cifar100'))
    imgs, labels, test_imgs, test_labels = write_fake_cifar100(root)
    return dict(root=root, imgs=imgs, labels=labels, test_imgs=test_imgs, test_labels=test_labels)


SMALL_N, SMALL_TEST = 100, 10


@pytest.fixture(scope='module')
def small_cifar10(tmp_path_factory):
    """SMALL_N train / SMALL_TEST test images per class, as pickles and as a PNG tree."""
    root = str(tmp_path_factory.mktemp('small_cifar10'))
    imgs, labels, test_imgs, test_labels = write_fake_cifar10(root, SMALL_N, SMALL_TEST, seed=5)
    write_png_tree(osp.join(root, 'tree', 'train'), imgs, labels)
    write_png_tree(osp.join(root, 'tree', 'test'), test_imgs, test_labels)
    return dict(root=root, tree=osp.join(root, 'tree'), imgs=imgs, labels=labels,
                test_imgs=test_imgs, test_labels=test_labels)


def _lt(cls, root, **kwargs):
    kwargs.setdefault('serialize_data', False)  # faster in tests; serialization tested below
    return cls(data_root=root, **kwargs)


# ---------------------------------------------------------------------------- protocol
@pytest.mark.parametrize('key', sorted(TABLE), ids=[f'C{c}-IF{i}' for c, i in sorted(TABLE)])
def test_class_sizes_match_published_table(key):
    num_classes, imbalance_factor = key
    total, n_max, n_min, many, medium, few = TABLE[key]
    sizes = np.array(lt_class_sizes(5000 if num_classes == 10 else 500, num_classes,
                                    imbalance_factor))
    assert (sizes.sum(), sizes.max(), sizes.min()) == (total, n_max, n_min)
    assert ((sizes > 100).sum(), ((sizes >= 20) & (sizes <= 100)).sum(),
            (sizes < 20).sum()) == (many, medium, few)
    assert (np.diff(sizes) <= 0).all()


def test_class_sizes_special_cases():
    assert lt_class_sizes(5000, 10, 100) == C10_IF100
    assert lt_class_sizes(5000, 10, 1) == [5000] * 10
    assert lt_class_sizes(5000, 10, 100, 'step') == [5000] * 5 + [50] * 5
    assert lt_class_sizes(500, 5, 10, 'step') == [500, 500, 50, 50, 50]  # odd C: tail gets n/IF
    # Difficulty-Net: 25/class held out first -> n_max 475, min 4 at IF100, total 10,302 (C100)
    sizes = lt_class_sizes(475, 100, 100)
    assert (sum(sizes), max(sizes), min(sizes)) == (10302, 475, 4)
    assert lt_counts_from_available([500] * 100, 100, meta_per_class=25) == sizes


def test_local_rng_equals_global_seed_and_shuffle():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 7, 3000)
    for seed in (0, 1, 123):
        ours, counts = long_tailed_indices(labels, 7, 37.5, seed=seed)
        ref = ldam_reference(labels, 7, 37.5, seed=seed, n_max=np.bincount(labels).max())
        np.testing.assert_array_equal(ours, ref)
        assert counts == np.bincount(labels[ours], minlength=7).tolist()


def test_protocol_leaves_global_rng_alone():
    np.random.seed(42)
    before = np.random.get_state()[1].copy()
    long_tailed_indices(np.repeat(np.arange(10), 50), 10, 10, seed=0)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# ---------------------------------------------------------------------------- CIFAR-LT
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
    imgs = lambda ds: np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])  # noqa
    a = _lt(CIFAR10LT, root, imbalance_factor=10, seed=0)
    b = _lt(CIFAR10LT, root, imbalance_factor=10, seed=0)
    c = _lt(CIFAR10LT, root, imbalance_factor=10, seed=1)
    np.testing.assert_array_equal(imgs(a), imgs(b))
    assert a.metainfo['class_counts'] == c.metainfo['class_counts']
    assert not np.array_equal(imgs(a), imgs(c))


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
    np.testing.assert_array_equal(
        np.stack([first.get_data_info(i)['img'] for i in range(len(first))]),
        small_cifar10['imgs'][expected])
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
    shutil.copytree(small_cifar10['root'], str(partial), ignore=shutil.ignore_patterns('tree'))
    os.remove(partial / 'cifar-10-batches-py' / 'test_batch')
    assert len(CIFAR10LT(data_root=str(partial), imbalance_factor=10)) > 0  # train unaffected
    with pytest.raises(FileNotFoundError, match='test_batch'):
        CIFAR10LT(data_root=str(partial), split='test')
    # download=True really asks for a download
    with pytest.raises(AssertionError, match='download was attempted'):
        CIFAR10LT(data_root=str(tmp_path / 'nowhere'), download=True)


# ---------------------------------------------------------------------------- LongTailedDataset
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
    ref = _lt(CIFAR10LT, small_cifar10['root'], **kwargs)
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
    with pytest.raises(NotImplementedError):
        lt.get_subset(3)
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
    ref_test = _lt(CIFAR10LT, root, split='test', imbalance_factor=10, meta_per_class=5)
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
    with pytest.raises(ValueError, match='raw training set'):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), imbalance_factor=10, train_dataset=dict(
            type='LongTailedDataset', dataset=_tree_cfg(tree, 'train'), imbalance_factor=10))
    with pytest.raises(ValueError, match="subset='meta'"):
        LongTailedDataset(dataset=_tree_cfg(tree, 'test'), class_counts=[1] * 10, subset='meta',
                          meta_per_class=2)
    with pytest.raises(TypeError, match='config dict or a dataset'):
        LongTailedDataset(dataset='train/')
    with pytest.raises(FileNotFoundError):
        LongTailedDataset(dataset=dict(type='CIFAR10LT', data_root=osp.join(tree, 'nowhere')))


FASHION = '/usr/share/datasets/fashion-mnist'


@pytest.mark.skipif(not osp.exists(osp.join(FASHION, 'train-labels-idx1-ubyte.gz')),
                    reason='Debian package dataset-fashion-mnist not installed')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # mmpretrain's MNIST, once per image
def test_long_tailed_fashion_mnist(tmp_path):
    import gzip
    for name in os.listdir(FASHION):  # mmpretrain reads the un-gzipped idx files
        if name.endswith('.gz'):
            with gzip.open(osp.join(FASHION, name)) as src, open(tmp_path / name[:-3], 'wb') as dst:
                shutil.copyfileobj(src, dst)
    train = dict(type='FashionMNIST', data_root=str(tmp_path), split='train', download=False,
                 serialize_data=False)
    lt = LongTailedDataset(dataset=train, imbalance_factor=500)
    assert list(lt.metainfo['class_counts']) == lt_class_sizes(6000, 10, 500)
    test = LongTailedDataset(
        dataset=dict(type='FashionMNIST', data_root=str(tmp_path), split='test', test_mode=True,
                     download=False, serialize_data=False), subsample=False, imbalance_factor=500)
    assert len(test) == 10000 and test.metainfo['class_counts'] == lt.metainfo['class_counts']


def _tar_train_names(tar):
    try:
        out = subprocess.run(['tar', 'tzf', tar], capture_output=True, text=True, check=True)
        names = out.stdout.split()
    except (OSError, subprocess.CalledProcessError):
        import tarfile
        with tarfile.open(tar) as tf:
            names = tf.getnames()
    return [n for n in names if n.startswith('train/') and n.endswith('.jpg')]


@pytest.mark.skipif(not osp.exists(JPEG_TAR), reason='cifar10-jpeg.tar.gz not available')
def test_real_cifar10_jpeg_tree_selects_official_lt_subset(tmp_path, monkeypatch):
    """``CustomDataset`` over the real ``cifar10-jpeg`` train/ listing + ``LongTailedDataset``
    picks, per class, the files numbered like the images the official CIFAR-10-LT (IF100) keeps.

    Within a class the files are numbered in official order, and the protocol only permutes
    per-class positions: class c keeps positions ``perm_c[:n_c]`` with ``perm_c`` the c-th
    sequential ``RandomState(0).shuffle`` of ``arange(5000)``. Nothing is extracted: the file
    backend lists the archive's names (in archive order; CustomDataset sorts them itself).
    """
    from mmengine.fileio.backends import LocalBackend
    names = _tar_train_names(JPEG_TAR)
    assert len(names) == 50000
    root = str(tmp_path / 'cifar10-jpeg')
    listing = {}
    for n in names:
        _, cls, fname = n.split('/')
        listing.setdefault(osp.join(root, 'train', cls), []).append(fname)
    original = LocalBackend.list_dir_or_file

    def list_archive(self, dir_path, list_dir=True, list_file=True, suffix=None, recursive=False):
        dir_path = osp.normpath(str(dir_path))
        if dir_path == osp.join(root, 'train'):
            return iter(sorted(osp.basename(d) for d in listing) if list_dir else [])
        if dir_path in listing:
            return iter(listing[dir_path] if list_file else [])
        return original(self, dir_path, list_dir, list_file, suffix, recursive)

    monkeypatch.setattr(LocalBackend, 'list_dir_or_file', list_archive)
    lt = LongTailedDataset(dataset=dict(type='CustomDataset', data_root=root, data_prefix='train'),
                           imbalance_factor=100)
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


# ---------------------------------------------------------------------------- list datasets
def _gen_labels(num_classes, n_max, n_min, seed=0):
    rng = np.random.default_rng(seed)
    sizes = np.maximum(np.round(n_max * (n_min / n_max)**(np.arange(num_classes) /
                                                          max(num_classes - 1, 1))), n_min)
    labels = np.repeat(np.arange(num_classes), sizes.astype(int))
    rng.shuffle(labels)
    return labels


def test_imagenet_lt_train_val_test(tmp_path):
    train = _gen_labels(1000, 30, 2)
    val = np.repeat(np.arange(1000), 2)
    write_list(tmp_path / 'ImageNet_LT_train.txt', train)
    write_list(tmp_path / 'ImageNet_LT_val.txt', val)
    write_list(tmp_path / 'ImageNet_LT_test.txt', val, prefix='val')
    ds = DATASETS.build(dict(type='ImageNetLT', data_root=str(tmp_path),
                             ann_file='ImageNet_LT_train.txt'))
    counts = np.bincount(train, minlength=1000)
    assert len(ds) == len(train) and ds.metainfo['class_counts'] == tuple(counts.tolist())
    assert len(ds.metainfo['classes']) == 1000 and ds.metainfo['classes'][0].startswith('tench')
    info = ds.get_data_info(5)
    assert info['img_path'] == osp.join(str(tmp_path), f'train/{train[5]}/{5:07d}.jpg')
    assert info['gt_label'] == train[5] and ds.get_cat_ids(5) == [int(train[5])]
    for split in ('val', 'test'):
        ev = ImageNetLT(data_root=str(tmp_path), ann_file=f'ImageNet_LT_{split}.txt',
                        train_ann_file='ImageNet_LT_train.txt')
        assert len(ev) == 2000 and ev.metainfo['class_counts'] == ds.metainfo['class_counts']
        np.testing.assert_array_equal(ev.get_gt_labels(), val)
    # without train_ann_file the split's own list is taken as the training list
    own = ImageNetLT(data_root=str(tmp_path), ann_file='ImageNet_LT_val.txt')
    assert own.metainfo['class_counts'] == (2, ) * 1000


def test_places_lt_and_generic_list(tmp_path):
    train = _gen_labels(365, 40, 5)
    write_list(tmp_path / 'Places_LT_train.txt', train)
    write_list(tmp_path / 'Places_LT_test.txt', np.arange(365))
    ds = PlacesLT(data_root=str(tmp_path), ann_file='Places_LT_test.txt',
                  train_ann_file=str(tmp_path / 'Places_LT_train.txt'),
                  data_prefix='images', serialize_data=False)
    assert len(ds) == 365 and len(ds.metainfo['classes']) == 365
    assert sum(ds.metainfo['class_counts']) == len(train)
    assert ds.get_data_info(3)['img_path'] == osp.join(str(tmp_path), 'images',
                                                       'train/3/0000003.jpg')
    generic = LTListDataset(data_root=str(tmp_path), ann_file='Places_LT_train.txt')
    assert generic.num_classes == 365 and len(generic.metainfo['class_counts']) == 365
    named = LTListDataset(data_root=str(tmp_path), ann_file='Places_LT_test.txt',
                          train_ann_file='Places_LT_train.txt', num_classes=400)
    assert len(named.metainfo['class_counts']) == 400 and named.metainfo['class_counts'][399] == 0


def test_list_dataset_subsets_keep_labels_in_sync(tmp_path):
    labels = _gen_labels(365, 20, 3, seed=4)
    write_list(tmp_path / 'train.txt', labels)
    for serialize in (True, False):
        ds = PlacesLT(data_root=str(tmp_path), ann_file='train.txt', indices=[7, 1, -2],
                      serialize_data=serialize)
        np.testing.assert_array_equal(ds.get_gt_labels(), labels[[7, 1, -2]])
        assert [ds.get_data_info(i)['gt_label'] for i in range(3)] == labels[[7, 1, -2]].tolist()
        full = PlacesLT(data_root=str(tmp_path), ann_file='train.txt', serialize_data=serialize)
        sub = full.get_subset(10)
        np.testing.assert_array_equal(sub.get_gt_labels(), labels[:10])
        np.testing.assert_array_equal(full.get_gt_labels(), labels)
        full.get_subset_([4, 4, 0])
        np.testing.assert_array_equal(full.get_gt_labels(), labels[[4, 4, 0]])
        assert full.get_cat_ids(2) == [int(labels[0])]
        # counts stay the full training counts
        assert sum(full.metainfo['class_counts']) == len(labels)


def test_inat_437k_list_labels_without_deserializing(tmp_path, monkeypatch):
    num_lines = 437513
    rng = np.random.default_rng(0)
    labels = np.concatenate([np.arange(8142), rng.integers(0, 8142, num_lines - 8142)])
    rng.shuffle(labels)
    write_list(tmp_path / 'iNaturalist18_train.txt', labels, prefix='train_val2018/Plantae')
    write_list(tmp_path / 'iNaturalist18_val.txt', np.repeat(np.arange(8142), 3),
               prefix='train_val2018/Plantae')
    train = INaturalist2018(data_root=str(tmp_path), ann_file='iNaturalist18_train.txt',
                            lazy_init=True)
    val = INaturalist2018(data_root=str(tmp_path), ann_file='iNaturalist18_val.txt',
                          train_ann_file='iNaturalist18_train.txt', lazy_init=True)

    def no_per_sample(*args, **kwargs):
        raise AssertionError('a sample was deserialized')

    from mmengine.dataset import BaseDataset as MMEngineBaseDataset
    monkeypatch.setattr(MMEngineBaseDataset, 'get_data_info', no_per_sample)
    monkeypatch.setattr(pickle, 'loads', no_per_sample)
    train.full_init()
    val.full_init()
    assert train.serialize_data and len(train) == num_lines
    counts = np.bincount(labels, minlength=8142)
    np.testing.assert_array_equal(train.get_gt_labels(), labels)
    assert train.metainfo['class_counts'] == tuple(counts.tolist())
    assert val.metainfo['class_counts'] == tuple(counts.tolist()) and len(val) == 24426
    assert train.get_cat_ids(123456) == [int(labels[123456])]
    # a ClassAwareSampler and a LongTailedDataset over it read labels the same cheap way
    from mmltr.datasets import ClassAwareSampler
    assert len(ClassAwareSampler(train, seed=0)) == num_lines
    monkeypatch.undo()
    assert train.get_data_info(0)['gt_label'] == labels[0]


def test_list_dataset_bad_inputs(tmp_path):
    good = tmp_path / 'good.txt'
    write_list(good, np.arange(365))
    lines = good.read_text().splitlines()
    cases = {
        'three_fields.txt': (2, lines[1] + ' extra', r'line 3: malformed line .*extra'),
        'one_field.txt': (0, 'train/0/0000000.jpg', r'line 1: malformed line'),
        'float_label.txt': (4, 'train/4/0000004.jpg 4.0', r"line 5: malformed line.*'4.0' is not"),
        'out_of_range.txt': (6, 'train/6/0000006.jpg 365', r'line 7: label 365 out of range'),
        'negative.txt': (6, 'train/6/0000006.jpg -1', r'line 7: label -1 out of range'),
    }
    for name, (idx, bad_line, msg) in cases.items():
        content = list(lines)
        content[idx] = bad_line
        (tmp_path / name).write_text('\n'.join(content) + '\n')
        with pytest.raises(ValueError, match=name.replace('.', r'\.') + ', ' + msg):
            PlacesLT(data_root=str(tmp_path), ann_file=name)
    # blank lines are tolerated, line numbers still count them
    (tmp_path / 'blank.txt').write_text('\n' + '\n'.join(lines) + '\n\n')
    assert len(PlacesLT(data_root=str(tmp_path), ann_file='blank.txt')) == 365
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        PlacesLT(data_root=str(tmp_path), ann_file='missing.txt')
    with pytest.raises(FileNotFoundError, match='missing_train.txt'):
        PlacesLT(data_root=str(tmp_path), ann_file='good.txt', train_ann_file='missing_train.txt')
    # the training list is checked too (a val split must not get wrong counts)
    with pytest.raises(ValueError, match='out_of_range.txt, line 7'):
        PlacesLT(data_root=str(tmp_path), ann_file='good.txt', train_ann_file='out_of_range.txt')
    # class count / num_classes mismatches
    with pytest.raises(ValueError, match='INaturalist2018 has 8142 classes; got num_classes=10'):
        INaturalist2018(data_root=str(tmp_path), ann_file='good.txt', num_classes=10)
    with pytest.raises(ValueError, match='3 class names but the dataset has 365 classes'):
        PlacesLT(data_root=str(tmp_path), ann_file='good.txt', classes=['a', 'b', 'c'])
    with pytest.raises(ValueError, match=r'line 101: label 100 out of range for 100 classes'):
        LTListDataset(data_root=str(tmp_path), ann_file='good.txt', num_classes=100)
    with pytest.raises(ValueError, match='ann_file'):
        ImageNetLT(data_root=str(tmp_path))
    (tmp_path / 'empty.txt').write_text('\n')
    with pytest.raises(ValueError, match='no samples'):
        PlacesLT(data_root=str(tmp_path), ann_file='empty.txt')


# ---------------------------------------------------------------------------- base configs
CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', '_base_',
                      'datasets')


def _load_base(name, tmp_path, override=''):
    """The base dataset config, through a child config file as users write them."""
    from mmengine.config import Config
    child = tmp_path / f'child_{name}'
    child.write_text(f'_base_ = [{osp.join(CONFIG_DIR, name)!r}]\n' + override)
    return Config.fromfile(str(child))


def _loader(cfg_loader, **dataset_overrides):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    cfg = dict(cfg_loader)
    cfg.update(num_workers=0, persistent_workers=False)
    cfg['dataset'] = dict(cfg['dataset'], **dataset_overrides)
    if not DefaultScope.check_instance_created('mmltr-test-datasets'):
        DefaultScope.get_instance('mmltr-test-datasets', scope_name='mmpretrain')
    return Runner.build_dataloader(cfg, seed=0)


def _check_common(cfg, num_classes):
    assert cfg.data_preprocessor.num_classes == num_classes
    assert cfg.train_dataloader.batch_size == 64
    for key in ('val_evaluator', 'test_evaluator'):
        assert [e['type'] for e in cfg[key]] == ['ShotAccuracy']


def test_base_config_cifar10_lt(cifar10, tmp_path):
    cfg = _load_base('cifar10_lt.py', tmp_path, override=(
        "train_dataloader = dict(dataset=dict(imbalance_factor=50))\n"
        "val_dataloader = dict(dataset=dict(imbalance_factor=50))\n"
        "test_dataloader = dict(dataset=dict(imbalance_factor=50))\n"))
    _check_common(cfg, 10)
    assert cfg.train_dataloader.dataset.imbalance_factor == 50
    assert cfg.train_dataloader.dataset.pipeline[0]['type'] == 'RandomCrop'  # merged, not replaced
    train = _loader(cfg.train_dataloader, data_root=cifar10['root'], serialize_data=False)
    test = _loader(cfg.test_dataloader, data_root=cifar10['root'], serialize_data=False)
    assert len(train.dataset) == 13996 and len(test.dataset) == 10000
    assert train.dataset.metainfo['class_counts'] == test.dataset.metainfo['class_counts']
    batch = next(iter(train))
    assert batch['inputs'][0].shape == (3, 32, 32) and len(batch['inputs']) == 64


def test_base_config_cifar100_lt(cifar100, tmp_path):
    cfg = _load_base('cifar100_lt.py', tmp_path)
    _check_common(cfg, 100)
    val = _loader(cfg.val_dataloader, data_root=cifar100['root'], serialize_data=False)
    assert sum(val.dataset.metainfo['class_counts']) == 10847 and len(val.dataset) == 10000


def test_base_config_cifar10_lt_jpeg(small_cifar10, tmp_path):
    cfg = _load_base('cifar10_lt_jpeg.py', tmp_path)
    _check_common(cfg, 10)
    assert cfg.data_preprocessor.to_rgb
    tree = small_cifar10['tree']
    train_cfg = cfg.train_dataloader
    train_cfg.dataset.dataset.data_root = tree
    val_cfg = cfg.val_dataloader
    val_cfg.dataset.dataset.data_root = tree
    val_cfg.dataset.train_dataset.data_root = tree
    train, val = _loader(train_cfg), _loader(val_cfg)
    ref = _lt(CIFAR10LT, small_cifar10['root'], imbalance_factor=100)
    assert train.dataset.metainfo['class_counts'] == ref.metainfo['class_counts'] \
        == val.dataset.metainfo['class_counts']
    assert len(val.dataset) == 10 * SMALL_TEST
    batch = next(iter(val))
    assert batch['inputs'][0].shape == (3, 32, 32)


@pytest.mark.parametrize('name,num_classes,train_list,eval_lists', [
    ('imagenet_lt.py', 1000, 'ImageNet_LT_train.txt', ('ImageNet_LT_val.txt',
                                                       'ImageNet_LT_test.txt')),
    ('inat2018.py', 8142, 'iNaturalist18_train.txt', ('iNaturalist18_val.txt', )),
    ('places_lt.py', 365, 'Places_LT_train.txt', ('Places_LT_val.txt', 'Places_LT_test.txt')),
])
def test_base_config_large_scale(tmp_path, name, num_classes, train_list, eval_lists):
    cfg = _load_base(name, tmp_path)
    _check_common(cfg, num_classes)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types == ['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs']
    assert [t['type'] for t in cfg.test_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'ResizeEdge', 'CenterCrop', 'PackInputs']
    assert cfg.val_dataloader.dataset.ann_file == eval_lists[0]
    assert cfg.test_dataloader.dataset.ann_file == eval_lists[-1]
    train_labels = _gen_labels(num_classes, 6, 1, seed=2)
    write_list(tmp_path / train_list, train_labels)
    for ev in eval_lists:
        write_list(tmp_path / ev, np.arange(num_classes))
    counts = tuple(np.bincount(train_labels, minlength=num_classes).tolist())
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = _loader(cfg[key], data_root=str(tmp_path))
        assert loader.dataset.metainfo['class_counts'] == counts
        assert len(loader.dataset) == (len(train_labels) if key == 'train_dataloader' else
                                       num_classes)
