"""GPUEpochBasedTrainLoop with a MultiView training pipeline: each batch reaches the model as a
list of views, uint8 ``(B, C, H, W)`` each, in ``num_views`` order (the contract with multi-view
models such as BCL's, whose data preprocessor takes that list)."""
import types

import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope

import mmltr  # noqa: F401
from mmltr.engine.fast_path import GPUEpochBasedTrainLoop

init_default_scope('mmpretrain')
torch.set_num_threads(1)

CONTRASTIVE_VIEW = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5)]


class ViewsPreprocessor(BaseDataPreprocessor):
    """Stands in for a multi-view data preprocessor: records and normalises each view."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, data, training=False):
        self.seen.append(data['inputs'])
        data['inputs'] = [(v.float() - 128.0) / 64.0 for v in data['inputs']]
        return data


class ViewsModel(BaseModel):
    """A tiny model with one loss term per view."""

    def __init__(self):
        super().__init__(data_preprocessor=ViewsPreprocessor())
        self.conv = torch.nn.Conv2d(3, 2, 3)

    def forward(self, inputs, data_samples=None, mode='loss'):
        return {f'loss_view{k}': self.conv(v).pow(2).mean() for k, v in enumerate(inputs)}


def _runner(model):
    return types.SimpleNamespace(
        model=model, seed=3, hooks=[], message_hub=MessageHub.get_instance('test_multiview_loop'),
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)),
        call_hook=lambda *args, **kwargs: None)


def test_fast_loop_hands_the_model_a_list_of_views(synthetic_images):
    imgs = synthetic_images(10, seed=6)
    dataset = [dict(img=im, gt_label=k % 3) for k, im in enumerate(imgs)]
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=False,
                                         collate_fn=lambda b: b)
    views = [[dict(type='RandomFlip', prob=0.0)], [dict(type='Invert', prob=1.0)],
             CONTRASTIVE_VIEW]
    pipeline = [dict(type='MultiView', num_views=[1, 1, 2], transforms=views),
                dict(type='PackInputs')]
    model = ViewsModel()
    # chunks of 7 images: the views of a batch come from different augmentation chunks
    loop = GPUEpochBasedTrainLoop(_runner(model), loader, max_epochs=1, gpu_pipeline=pipeline,
                                  aug_chunk_size=7)
    loop.prepare()
    loop.run_epoch()
    seen = model.data_preprocessor.seen
    assert [len(b) for b in seen] == [4, 4, 4] and [len(b[0]) for b in seen] == [4, 4, 2]
    images = torch.from_numpy(imgs).permute(0, 3, 1, 2)
    start = 0
    for batch in seen:
        n = batch[0].size(0)
        assert all(v.dtype == torch.uint8 and v.shape == (n, 3, 32, 32) for v in batch)
        want = images[start:start + n]
        assert torch.equal(batch[0], want) and torch.equal(batch[1], 255 - want)
        assert not torch.equal(batch[2], batch[3])  # two independent contrastive draws
        start += n
    # every view's loss was logged (the last iteration's values go to the hooks)
    assert len(loop.runner.message_hub.get_scalar('train/loss_view3').data[0]) == 2
