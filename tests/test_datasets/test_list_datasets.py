"""ImageNetLT / INaturalist2018 / PlacesLT / LTListDataset on generated ``path label`` lists.

The format of the OLTR / Decoupling releases: one ``relative/path.jpg <integer label>`` per line.
"""
import os.path as osp
import pickle

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

from mmltr.datasets import (
    ClassAwareSampler,
    ImageNetLT,
    INaturalist2018,
    LongTailedDataset,
    LTListDataset,
    PlacesLT,
)


def write_list(path, labels, prefix='train'):
    lines = ''.join(f'{prefix}/{int(c)}/{i:07d}.jpg {int(c)}\n' for i, c in enumerate(labels))
    with open(path, 'w') as f:
        f.write(lines)


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
    # a ClassAwareSampler over it reads the labels the same cheap way
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


def test_duplicated_lines_warn_with_count_and_first(tmp_path):
    ann = tmp_path / 'train.txt'
    ann.write_text('a/1.jpg 0\nb/2.jpg 1\na/1.jpg 0\nb/2.jpg 1\nb/2.jpg 1\nc/3.jpg 1\n')
    with pytest.warns(UserWarning, match=r"3 duplicated line\(s\) \(the first: 'a/1.jpg'\)"):
        ds = LTListDataset(data_root=str(tmp_path), ann_file='train.txt', num_classes=2)
    assert ds.metainfo['class_counts'] == (2, 4)  # still counted as listed


def test_empty_image_error_names_the_file(tmp_path):
    from mmpretrain.datasets import CustomDataset
    (tmp_path / 'train' / 'a').mkdir(parents=True)
    (tmp_path / 'train' / 'a' / '0000.jpg').write_bytes(b'')
    (tmp_path / 'train.txt').write_text('train/a/0000.jpg 0\n')
    pipeline = [dict(type='LoadImageFromFile')]
    ds = LTListDataset(data_root=str(tmp_path), ann_file='train.txt', num_classes=1,
                       pipeline=pipeline)
    with pytest.raises(Exception, match=r'train/a/0000.jpg \(sample 0\).*image is empty'):
        ds[0]
    # the same image through LongTailedDataset over MMPretrain's CustomDataset
    tree = LongTailedDataset(dataset=CustomDataset(data_root=str(tmp_path / 'train'),
                                                   pipeline=pipeline), imbalance_factor=1)
    with pytest.raises(Exception, match=r'a/0000.jpg \(sample 0\).*image is empty'):
        tree[0]

