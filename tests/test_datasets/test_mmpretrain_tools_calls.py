"""mmltr's datasets answer every dataset call MMPretrain 1.2.0's tools make.

MMPretrain ships its tools as scripts in its repository, not in the installed package, so the
tests cannot import them. Each test below repeats, line for line, the dataset-facing calls of one
tool (``tools/analysis_tools/analyze_results.py``, ``tools/visualization/vis_tsne.py``,
``tools/visualization/browse_dataset.py``, ``tools/analysis_tools/confusion_matrix.py`` of
MMPretrain v1.2.0), on each of mmltr's dataset kinds: ``LongTailedDataset`` (training subset and
evaluation split), ``CIFAR10LT``, ``ClassBalancedSubset`` and ``LTListDataset``.
"""
import copy
import os.path as osp
from collections import defaultdict

import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.datasets import build_dataset
from mmpretrain.registry import DATASETS

import mmltr  # noqa: F401

CLASSES = ('cat', 'dog', 'eel', 'fox')
PER_CLASS = 12
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


@pytest.fixture(scope='module')
def dataset_cfgs(tmp_path_factory, image_tree, fake_cifar):
    root = tmp_path_factory.mktemp('tools')
    labels = np.repeat(np.arange(len(CLASSES)), PER_CLASS)
    rng = np.random.RandomState(0)
    images = rng.randint(0, 255, (len(labels), 16, 16, 3), dtype=np.uint8)
    for split in ('train', 'test'):
        image_tree(str(root / split), images, labels, classes=CLASSES)
    with open(root / 'train.txt', 'w') as f:
        for c, name in enumerate(CLASSES):
            for i in range(PER_CLASS - 2 * c):  # 12, 10, 8, 6 images
                f.write(f'train/{name}/{i:04d}.png {c}\n')
    fake_cifar(str(root / 'cifar'))
    raw = dict(type='CustomDataset', data_root=str(root), data_prefix='train',
               pipeline=PIPELINE)
    test = dict(raw, data_prefix='test')
    lt_eval = dict(type='LongTailedDataset', dataset=test, train_dataset=dict(raw, pipeline=[]),
                   imbalance_factor=4)
    return {
        'LongTailedDataset-train': dict(type='LongTailedDataset', dataset=raw,
                                        imbalance_factor=4),
        'LongTailedDataset-eval': lt_eval,
        'CIFAR10LT': dict(type='CIFAR10LT', data_root=str(root / 'cifar'), split='test',
                          imbalance_factor=10, pipeline=[dict(type='PackInputs')]),
        'ClassBalancedSubset': dict(type='ClassBalancedSubset', dataset=lt_eval, per_class=5),
        'LTListDataset': dict(type='LTListDataset', data_root=str(root), ann_file='train.txt',
                              pipeline=PIPELINE),
    }


KINDS = ['LongTailedDataset-train', 'LongTailedDataset-eval', 'CIFAR10LT',
         'ClassBalancedSubset', 'LTListDataset']


def _image_of(data_info):
    """analyze_results.save_imgs: the image from ``img`` or ``img_path``."""
    if 'img' in data_info:
        return data_info['img']
    assert 'img_path' in data_info and osp.isfile(data_info['img_path'])
    return data_info['img_path']


@pytest.mark.parametrize('kind', KINDS)
def test_analyze_results_calls(dataset_cfgs, kind):
    init_default_scope('mmpretrain')
    cfg = copy.deepcopy(dataset_cfgs[kind])
    cfg['pipeline'] = []  # cfg.test_dataloader.dataset.pipeline = []
    dataset = build_dataset(cfg)
    classes = dataset.CLASSES  # vis.dataset_meta = {'classes': dataset.CLASSES}
    assert classes is not None and len(classes) == len(dataset.metainfo['class_counts'])
    for idx in (0, len(dataset) - 1):  # dataset.get_data_info(data_sample.sample_idx)
        info = dataset.get_data_info(idx)
        _image_of(info)
        assert info['gt_label'] == dataset.get_cat_ids(idx)[0]


@pytest.mark.parametrize('kind', KINDS)
def test_vis_tsne_calls(dataset_cfgs, kind):
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(copy.deepcopy(dataset_cfgs[kind]))
    classes = dataset.metainfo.get('classes')
    class_idx = list(range(len(classes)))[:3]  # --max-num-class 3
    subset_idx_list, counter = [], defaultdict(int)
    for i in range(len(dataset)):
        gt_label = dataset.get_data_info(i)['gt_label']
        if gt_label in class_idx and counter[gt_label] < 2:  # --max-num-samples 2
            subset_idx_list.append(i)
            counter[gt_label] += 1
    labels_before = dataset.get_gt_labels()
    dataset.get_subset_(subset_idx_list)
    assert len(dataset) == len(subset_idx_list) == 6
    assert list(dataset.get_gt_labels()) == list(labels_before[subset_idx_list])
    dataloader = Runner.build_dataloader(
        dict(batch_size=4, num_workers=0, dataset=dataset,
             sampler=dict(type='DefaultSampler', shuffle=False),
             collate_fn=dict(type='default_collate')))
    labels = []
    for data in dataloader:
        labels.extend(int(s.gt_label) for s in data['data_samples'])
    assert labels == list(labels_before[subset_idx_list])


class _Inspect(Compose):
    """browse_dataset's InspectCompose: records every intermediate image."""

    def __init__(self, transforms, seen):
        super().__init__(transforms=transforms)
        self.seen = seen

    def __call__(self, data):
        self.seen.append(data.get('img'))
        return super().__call__(data)


@pytest.mark.parametrize('kind', KINDS)
def test_browse_dataset_calls(dataset_cfgs, kind):
    init_default_scope('mmpretrain')
    dataset = build_dataset(copy.deepcopy(dataset_cfgs[kind]))
    assert dataset.metainfo['classes']  # visualizer.dataset_meta = dataset.metainfo
    seen = []
    dataset.pipeline = _Inspect(dataset.pipeline.transforms, seen)
    items = [item for _, item in zip(range(3), dataset)]
    assert len(items) == 3 and len(seen) == 3
    for i, item in enumerate(items):
        assert int(item['data_samples'].gt_label) == dataset.get_cat_ids(i)[0]


@pytest.mark.parametrize('kind', KINDS)
def test_confusion_matrix_calls(dataset_cfgs, kind):
    init_default_scope('mmpretrain')
    dataset = DATASETS.build({**copy.deepcopy(dataset_cfgs[kind]), 'pipeline': []})
    classes = dataset.metainfo.get('classes')
    assert classes is not None and len(classes) == len(dataset.metainfo['class_counts'])
    assert len(dataset) > 0
