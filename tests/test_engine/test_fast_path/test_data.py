"""Device-resident data: decoding with the dataset's own loading, DeviceDataLoader == DataLoader."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, TRANSFORMS

import mmltr  # noqa: F401
from mmltr.engine.fast_path import DeviceDataLoader, decode_dataset
from mmltr.engine.fast_path.data import find_pipelines, is_deterministic, split_loading

init_default_scope('mmpretrain')
torch.set_num_threads(1)


def _jpeg_dataset(root, pipeline):
    return DATASETS.build(dict(
        type='LongTailedDataset', imbalance_factor=2, dataset=dict(
            type='CustomDataset', data_root=root, data_prefix='train', pipeline=pipeline)))


@pytest.fixture
def jpeg_root(tmp_path, synthetic_images, image_tree):
    imgs = synthetic_images(60, seed=0)
    image_tree(str(tmp_path / 'train'), imgs, np.arange(60) % 10, ext='.jpg')
    return str(tmp_path)


def test_decode_jpeg_dataset_with_its_own_loading(jpeg_root):
    import mmcv
    ds = _jpeg_dataset(jpeg_root, [
        dict(type='LoadImageFromFile'), dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='PackInputs')])
    imgs, labels = decode_dataset(ds, loading_only=True, workers=2)
    assert imgs.shape == (len(ds), 32, 32, 3) and imgs.dtype == np.uint8
    np.testing.assert_array_equal(labels, ds.get_gt_labels())
    for i in (0, len(ds) - 1):
        np.testing.assert_array_equal(imgs[i], mmcv.imread(ds.get_data_info(i)['img_path']))
    # the pipeline is restored afterwards
    assert [type(t).__name__ for t in ds.dataset.pipeline.transforms] == [
        'LoadImageFromFile', 'RandomCrop', 'PackInputs']
    assert not is_deterministic(ds)


def test_loading_transforms_must_come_first():
    ts = [TRANSFORMS.build(dict(type='LoadImageFromFile')),
          TRANSFORMS.build(dict(type='RandomFlip', prob=0.5))]
    assert split_loading(ts) == (ts[:1], ts[1:])
    with pytest.raises(ValueError, match='loading transform'):
        split_loading(ts[::-1])


def test_device_loader_yields_the_loaders_batches(jpeg_root):
    ds = _jpeg_dataset(jpeg_root, [dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    assert is_deterministic(ds) and len(find_pipelines(ds)) == 1
    loader = Runner.build_dataloader(dict(
        dataset=ds, batch_size=7, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True, seed=3)))
    device = DeviceDataLoader(loader, 'cpu')
    assert len(device) == len(loader) and device.sampler is loader.sampler
    for epoch in (0, 1):  # same shuffle per sampler epoch, on both
        loader.sampler.set_epoch(epoch)
        batches = list(device)
        ref = list(loader)
        assert len(batches) == len(ref)
        for got, want in zip(batches, ref):
            assert got['inputs'].dtype == torch.uint8
            assert torch.equal(got['inputs'], torch.stack(want['inputs']))
            assert [int(s.gt_label) for s in got['data_samples']] == [
                int(s.gt_label) for s in want['data_samples']]
