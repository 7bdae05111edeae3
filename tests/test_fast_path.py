"""The fast path: batched device augmentation vs MMPretrain's CPU transforms, and the GPU loops.

Everything runs on the CPU (the loops are device-agnostic: they use the model's device).
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import RUNNERS, TRANSFORMS

import mmltr  # noqa: F401
from mmltr.datasets.transforms import gpu_augment as G
from mmltr.engine.loops import apply_fast_path
from mmltr.engine.loops.gpu_loops import decode_dataset

from _fast_path_data import (cifar_fast_config, make_fake_cifar10, make_fake_cifar10_jpeg,
                             synthetic_images)

init_default_scope('mmpretrain')
torch.set_num_threads(1)


@pytest.fixture(scope='module')
def images():
    return synthetic_images(12, seed=3)  # (12, 32, 32, 3) uint8, BGR like LoadImageFromFile


def _batch(imgs):
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).float()


def _cpu(cfg, img):
    return TRANSFORMS.build(cfg).transform(dict(img=img.copy()))['img']


def _gpu(cfg, imgs, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = G.build_batch_pipeline([cfg])(_batch(imgs), g)
    return out.permute(0, 2, 3, 1).numpy()


# ----------------------------------------------------------------------------------------------
# every op vs MMPretrain's transform (prob 1, fixed magnitude, fixed sign)
# ----------------------------------------------------------------------------------------------
OP_CASES = [
    dict(type='Shear', magnitude=0.2, random_negative_prob=0., direction='horizontal'),
    dict(type='Shear', magnitude=0.27, random_negative_prob=1., direction='vertical'),
    dict(type='Shear', magnitude=0.2, random_negative_prob=0., interpolation='nearest'),
    dict(type='Translate', magnitude=0.3, random_negative_prob=0., direction='horizontal'),
    dict(type='Translate', magnitude=0.41, random_negative_prob=1., direction='vertical'),
    dict(type='Rotate', angle=17., random_negative_prob=0.),
    dict(type='Rotate', angle=29., random_negative_prob=1., pad_val=(128, 128, 128)),
    dict(type='Rotate', angle=29., random_negative_prob=1., interpolation='bilinear'),
    dict(type='AutoContrast'),
    dict(type='Invert'),
    dict(type='Equalize'),
    dict(type='Solarize', thr=100.5),
    dict(type='SolarizeAdd', magnitude=70.3),
    dict(type='Posterize', bits=4.2),
    dict(type='Posterize', bits=6),
    dict(type='Contrast', magnitude=0.6, random_negative_prob=0.),
    dict(type='Contrast', magnitude=0.7, random_negative_prob=1.),
    dict(type='ColorTransform', magnitude=0.9, random_negative_prob=0.),
    dict(type='ColorTransform', magnitude=0.4, random_negative_prob=1.),
    dict(type='Brightness', magnitude=0.63, random_negative_prob=0.),
    dict(type='Brightness', magnitude=0.37, random_negative_prob=1.),
    dict(type='Sharpness', magnitude=0.9, random_negative_prob=0.),
    dict(type='Sharpness', magnitude=0.5, random_negative_prob=1.),
]


@pytest.mark.parametrize('cfg', OP_CASES, ids=lambda c: '-'.join(
    [c['type']] + [f'{k}={v}' for k, v in c.items() if k != 'type']))
def test_op_matches_mmpretrain(cfg, images):
    cfg = dict(cfg, prob=1.0)
    ref = np.stack([_cpu(cfg, im) for im in images]).astype(np.int64)
    out = _gpu(cfg, images)
    assert np.all(out == np.round(out)), 'outputs must stay integer-valued'
    diff = np.abs(out.astype(np.int64) - ref)
    # Photometric ops are exact or off by one level from float rounding; warps differ only where
    # cv2 quantises sub-pixel positions (1/32 px) and a tap lands on the other side of a tie.
    assert diff.max() <= 1, f'{cfg}: max diff {diff.max()}'
    assert (diff > 0).mean() < 0.04, f'{cfg}: {(diff > 0).mean():.3%} pixels differ'


def test_ops_match_pil_where_mmcv_is_pil(images):
    """Equalize/AutoContrast/Invert/Posterize/Solarize are PIL's algorithms (RGB images)."""
    from PIL import Image, ImageOps
    rgb = images[..., ::-1].copy()
    x = _batch(rgb)
    checks = [(G.op_equalize(x), ImageOps.equalize), (G.op_auto_contrast(x), ImageOps.autocontrast),
              (G.op_invert(x), ImageOps.invert),
              (G.op_posterize(x, torch.full((len(rgb), ), 3.)),
               lambda im: ImageOps.posterize(im, 3)),
              (G.op_solarize(x, torch.full((len(rgb), ), 128.)),
               lambda im: ImageOps.solarize(im, 128))]
    for out, pil_fn in checks:
        ref = np.stack([np.asarray(pil_fn(Image.fromarray(im))) for im in rgb])
        diff = np.abs(out.permute(0, 2, 3, 1).numpy() - ref)
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    # Brightness is PIL's blend with black (factor 1.4), up to rounding.
    from PIL import ImageEnhance
    out = G.op_brightness(x, torch.full((len(rgb), ), 0.4)).permute(0, 2, 3, 1).numpy()
    ref = np.stack([np.asarray(ImageEnhance.Brightness(Image.fromarray(im)).enhance(1.4))
                    for im in rgb])
    assert np.abs(out - ref).max() <= 1


def test_rotate_int_pad_val_quirk_is_mirrored(images):
    """mmcv hands an int border value to cv2 as Scalar(v): (v, 0, 0). Both paths agree."""
    cfg = dict(type='Rotate', angle=45., random_negative_prob=0., prob=1.0, pad_val=128)
    out = _gpu(cfg, images[:2])
    assert tuple(out[0, 0, 0]) == (128, 0, 0)
    assert tuple(_cpu(cfg, images[0])[0, 0]) == (128, 0, 0)


# ----------------------------------------------------------------------------------------------
# per-sample randomness: distributions like the CPU transforms
# ----------------------------------------------------------------------------------------------
def test_random_crop_offsets_uniform_and_exact():
    n, size, pad = 4000, 8, 2
    img = (1 + np.arange(size * size)).reshape(1, size, size, 1).astype(np.uint8)
    imgs = np.repeat(img, n, 0)
    cfg = dict(type='RandomCrop', crop_size=size, padding=pad)
    out = _gpu(cfg, imgs)[..., 0]
    # out[pad, pad] = img[oy, ox]: recovers each sample's offset; the crop is exactly that window
    code = out[:, pad, pad].astype(int) - 1
    oy, ox = code // size, code % size
    padded = np.pad(img[0, :, :, 0], pad)
    for k in range(0, n, 397):
        np.testing.assert_array_equal(out[k], padded[oy[k]:oy[k] + size, ox[k]:ox[k] + size])
    counts = np.bincount(oy * (2 * pad + 1) + ox, minlength=(2 * pad + 1)**2)
    expected = n / (2 * pad + 1)**2  # CPU: np.random.randint(0, 2 * pad + 1) per axis
    assert counts.min() > 0.6 * expected and counts.max() < 1.4 * expected
    assert len(np.unique(code[:16])) > 4, 'samples of one batch must get different crops'


def test_flip_rate_and_per_sample(images):
    n = 4000
    img = images[:1]
    imgs = np.repeat(img, n, 0)
    out = _gpu(dict(type='RandomFlip', prob=0.5, direction='horizontal'), imgs)
    flipped = np.all(out == img[:, :, ::-1], axis=(1, 2, 3))
    same = np.all(out == img, axis=(1, 2, 3))
    assert np.all(flipped | same)
    assert abs(flipped.mean() - 0.5) < 0.04


def test_determinism_under_seed(images):
    cfg = [dict(type='RandomCrop', crop_size=32, padding=4),
           dict(type='RandomFlip', prob=0.5, direction='horizontal'),
           dict(type='AutoAugment', policies='imagenet'),
           dict(type='Cutout', shape=16, pad_val=0, prob=1.0)]
    pipe = G.build_batch_pipeline(cfg)
    x = _batch(np.repeat(images[:1], 32, 0))

    def run(seed):
        return pipe(x, torch.Generator().manual_seed(seed))

    a, b, c = run(1), run(1), run(2)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # identical inputs, different per-sample draws
    assert len({tuple(v.flatten()[:64].tolist()) for v in a}) > 20


def _const_batch(n, value=100):
    return np.full((n, 4, 4, 3), value, np.uint8)


def test_autoaugment_choice_prob_and_sign_distributions():
    n = 6000
    mags = [-0.5, -0.25, 0.0, 0.25, 0.5]
    policies = [[dict(type='Brightness', magnitude=m, prob=1.0, random_negative_prob=0.)]
                for m in mags]
    out = _gpu(dict(type='AutoAugment', policies=policies), _const_batch(n))[:, 0, 0, 0]
    # uniform choice of the 5 sub-policies (RandomChoice with prob=None)
    vals, counts = np.unique(out, return_counts=True)
    assert sorted(vals.tolist()) == [50, 75, 100, 125, 150]
    assert np.all(np.abs(counts / n - 0.2) < 0.03)
    # op probability and random sign inside a sub-policy
    policies = [[dict(type='Brightness', magnitude=0.5, prob=0.3, random_negative_prob=0.5)]]
    out = _gpu(dict(type='AutoAugment', policies=policies), _const_batch(n))[:, 0, 0, 0]
    assert abs((out == 100).mean() - 0.7) < 0.03
    assert abs((out == 150).mean() - 0.15) < 0.03 and abs((out == 50).mean() - 0.15) < 0.03
    # magnitude levels (magnitude_range / magnitude_level / magnitude_std='inf')
    policies = [[dict(type='Brightness', magnitude_range=(0, 0.9), magnitude_level=5,
                      magnitude_std='inf', prob=1.0, random_negative_prob=0.)]]
    out = _gpu(dict(type='AutoAugment', policies=policies), _const_batch(n))[:, 0, 0, 0]
    assert out.min() >= 100 and out.max() <= 145 and abs(out.mean() - 122.5) < 2


def test_cutout_hole_like_mmcv():
    import mmcv
    n, size = 3000, 32
    img = np.full((size, size, 3), 200, np.uint8)
    out = _gpu(dict(type='Cutout', shape=16, pad_val=0, prob=1.0), np.repeat(img[None], n, 0))
    holes = out[..., 0] == 0
    area = holes.sum(axis=(1, 2))
    for k in range(0, n, 299):  # one axis-aligned rectangle, clipped to the image
        ys, xs = np.nonzero(holes[k])
        assert holes[k][ys.min():ys.max() + 1, xs.min():xs.max() + 1].all()
        assert ys.max() - ys.min() < 16 and xs.max() - xs.min() < 16
    np.random.seed(0)
    ref = np.array([(mmcv.cutout(img, 16, 0)[..., 0] == 0).sum() for _ in range(n)])
    assert abs(area.mean() - ref.mean()) < 0.03 * ref.mean()
    assert abs((area == 256).mean() - (ref == 256).mean()) < 0.04


def test_unsupported_transform_is_named():
    with pytest.raises(G.UnsupportedTransformError, match='RandomResizedCrop'):
        G.build_batch_pipeline([dict(type='RandomResizedCrop', scale=32)])
    with pytest.raises(G.UnsupportedTransformError, match='loading transform'):
        G.build_batch_pipeline([dict(type='LoadImageFromFile')])


def test_devries_cutout_like_cpu():
    from mmltr.datasets.transforms import DeVriesCutout
    n, size = 3000, 32
    img = np.full((size, size, 3), 200, np.uint8)
    out = _gpu(dict(type='DeVriesCutout', length=16, n_holes=1, pad_val=0),
               np.repeat(img[None], n, 0))
    area = (out[..., 0] == 0).sum(axis=(1, 2))
    np.random.seed(0)
    t = DeVriesCutout(length=16)
    ref = np.array([(t.transform(dict(img=img))['img'][..., 0] == 0).sum() for _ in range(n)])
    assert area.max() == 256 and abs(area.mean() - ref.mean()) < 0.03 * ref.mean()


DBM_PIPELINE_BASE = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', '_base_',
                             'datasets', 'cifar10_lt_autoaug.py')


def test_dbm_recipe_pipeline_distribution_matches_cpu():
    """The DBM recipe (crop + flip + AutoAugment CIFAR-10 policy + Cutout), CPU vs batched.

    Same 4 images augmented 800 times each by MMPretrain's per-sample CPU pipeline and by the
    batched pipeline translated from the same config: the output pixel statistics must agree.
    """
    if not osp.exists(DBM_PIPELINE_BASE):
        pytest.skip('configs/_base_/datasets/cifar10_lt_autoaug.py not written yet')
    cfg = Config.fromfile(DBM_PIPELINE_BASE)
    steps = [t for t in cfg.train_pipeline if t['type'] != 'PackInputs']
    cpu = [TRANSFORMS.build(t) for t in steps]
    batch = G.build_batch_pipeline(steps)
    assert [type(s).__name__ for s in batch.steps] == [
        'BatchRandomCrop', 'BatchRandomFlip', 'BatchOps', 'BatchDeVriesCutout']
    assert len(batch.steps[2].policies) == 25
    imgs = synthetic_images(4, seed=7)
    reps = 800
    np.random.seed(0)
    ref = []
    for im in imgs:
        for _ in range(reps):
            r = dict(img=im.copy())
            for t in cpu:
                r = t.transform(r)
            ref.append(r['img'])
    ref = np.stack(ref).astype(np.float64)
    out = batch(_batch(np.repeat(imgs, reps, 0)), torch.Generator().manual_seed(0))
    out = out.permute(0, 2, 3, 1).numpy().astype(np.float64)
    for k in range(4):  # per source image: mean/std per channel, black fraction
        a, b = out[k * reps:(k + 1) * reps], ref[k * reps:(k + 1) * reps]
        assert np.all(np.abs(a.mean((0, 1, 2)) - b.mean((0, 1, 2))) < 4.0)
        assert np.all(np.abs(a.std((0, 1, 2)) - b.std((0, 1, 2))) < 4.0)
        assert abs((a == 0).mean() - (b == 0).mean()) < 0.02


# ----------------------------------------------------------------------------------------------
# decoding and the loops
# ----------------------------------------------------------------------------------------------
def test_decode_jpeg_dataset_with_its_own_loading(tmp_path):
    import mmcv
    from mmpretrain.registry import DATASETS
    root = make_fake_cifar10_jpeg(str(tmp_path / 'jpeg'))
    ds = DATASETS.build(dict(
        type='LongTailedDataset', imbalance_factor=2, dataset=dict(
            type='CustomDataset', data_root=root, data_prefix='train', pipeline=[
                dict(type='LoadImageFromFile'), dict(type='RandomCrop', crop_size=32, padding=4),
                dict(type='PackInputs')])))
    imgs, labels = decode_dataset(ds, loading_only=True, workers=2)
    assert imgs.shape == (len(ds), 32, 32, 3) and imgs.dtype == np.uint8
    np.testing.assert_array_equal(labels, ds.get_gt_labels())
    for i in (0, len(ds) - 1):
        np.testing.assert_array_equal(imgs[i], mmcv.imread(ds.get_data_info(i)['img_path']))
    # the pipeline is restored afterwards
    assert [type(t).__name__ for t in ds.dataset.pipeline.transforms] == [
        'LoadImageFromFile', 'RandomCrop', 'PackInputs']


def test_apply_fast_path_rewrites_loops():
    cfg = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=2), val_cfg=dict(),
                      test_cfg=None, fast_path=dict(train=dict(sync_interval=7),
                                                    val=dict(batch_size=99))))
    apply_fast_path(cfg)
    assert cfg.train_cfg == dict(type='GPUEpochBasedTrainLoop', max_epochs=3, val_interval=2,
                                 sync_interval=7)
    assert cfg.val_cfg == dict(type='GPUValLoop', batch_size=99) and cfg.test_cfg is None
    off = Config(dict(train_cfg=dict(max_epochs=1), fast_path=dict(enable=False)))
    assert apply_fast_path(off).train_cfg == dict(max_epochs=1)


@pytest.fixture(scope='module')
def cifar_root(tmp_path_factory):
    return make_fake_cifar10(str(tmp_path_factory.mktemp('cifar')))


def _runner(path, **changes):
    cfg = Config.fromfile(path)
    for k, v in changes.items():
        cfg[k] = v
    return RUNNERS.build(cfg) if 'runner_type' in cfg else __import__(
        'mmengine.runner', fromlist=['Runner']).Runner.from_cfg(cfg)


def test_fast_loop_trains_validates_checkpoints_and_resumes(cifar_root, tmp_path):
    # full 2-epoch run
    full = _runner(cifar_fast_config(cifar_root, str(tmp_path / 'full')))
    assert type(full.train_loop).__name__ == 'GPUEpochBasedTrainLoop'
    full.train()
    iters = full.train_loop.max_iters
    assert full.iter == iters and full.epoch == 2
    assert osp.exists(tmp_path / 'full' / 'epoch_1.pth') and osp.exists(tmp_path / 'full' /
                                                                        'epoch_2.pth')
    hub = full.message_hub
    # every iteration's loss reached the message hub (deferred host copies, in order)
    assert len(hub.get_scalar('train/loss').data[0]) == iters
    lrs = hub.get_scalar('train/lr').data[0]
    assert len(lrs) == iters and lrs[0] < lrs[len(lrs) // 2 - 1]  # warm-up schedule ran
    metrics = full.val_loop.run()
    for key in ('lt/top1', 'lt/many', 'lt/medium', 'lt/few'):
        assert key in metrics
    # the standard loop on the same config: same iterations and lr schedule
    std = _runner(cifar_fast_config(cifar_root, str(tmp_path / 'std'), fast=False),
                  val_cfg=None, val_dataloader=None, val_evaluator=None)
    std.train()
    np.testing.assert_allclose(std.message_hub.get_scalar('train/lr').data[0], lrs)
    # 1 epoch, then resume to epoch 2: bit-identical to the uninterrupted run
    part = _runner(cifar_fast_config(cifar_root, str(tmp_path / 'part'), max_epochs=1))
    part.train()
    resumed = _runner(cifar_fast_config(cifar_root, str(tmp_path / 'part')), resume=True,
                      load_from=str(tmp_path / 'part' / 'epoch_1.pth'))
    resumed.train()
    assert resumed.iter == iters
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k


def test_sync_interval_does_not_change_logs(cifar_root, tmp_path):
    hist = []
    for si in (1, 3):
        path = cifar_fast_config(cifar_root, str(tmp_path / f's{si}'), max_epochs=1,
                                 extra=f'fast_path = dict(train=dict(sync_interval={si}))')
        # distinct experiment names: two runners started in the same second would otherwise share
        # one (timestamp-named) MessageHub and its loss history
        r = _runner(path, val_cfg=None, val_dataloader=None, val_evaluator=None,
                    experiment_name=f'sync_interval_{si}')
        r.train()
        hist.append(r.message_hub.get_scalar('train/loss').data[0])
    np.testing.assert_array_equal(hist[0], hist[1])


def test_val_modes_agree_and_cosine_head(cifar_root, tmp_path):
    extra = ("model = dict(head=dict(_delete_=True, type='CosineClsHead', num_classes=10, "
             "in_channels=64, loss=dict(type='CrossEntropyLoss')))")
    r = _runner(cifar_fast_config(cifar_root, str(tmp_path / 'cos'), max_epochs=1, extra=extra))
    r.train()
    assert r.val_loop._resolved_mode() == 'logits'
    a = r.val_loop.run()
    r.val_loop.mode = 'predict'
    b = r.val_loop.run()
    assert a == b


DN_EXTRA = '''
model = dict(type='DifficultyNetClassifier',
             difficulty_net=dict(type='DifficultyNet', hidden_dims=(16, 16), bias=False))
train_dataloader['dataset'].update(meta_per_class=4, selection='first')
val_dataloader['dataset'].update(meta_per_class=4)
meta_dataloader = dict(batch_size=10, num_workers=0, dataset=dict(
    type='CIFAR10LT', data_root='{root}', split='train', imbalance_factor=10, meta_per_class=4,
    subset='meta', pipeline=[dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=True))
custom_hooks = [dict(type='LongTailLossHook'),
                dict(type='DifficultyNetHook', meta_dataloader=meta_dataloader, acc_batch_size=16)]
optim_wrapper = dict(_delete_=True, constructor='DifficultyNetOptimWrapperConstructor',
                     model=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
                     difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-4)))
param_scheduler = dict(_delete_=True, difficulty_net=[], model=[
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True)])
'''


def test_difficulty_net_custom_train_step_on_the_fast_path(cifar_root, tmp_path):
    """A model with its own train_step (and a hook-built meta loader) runs on the fast path."""
    from mmltr.engine.loops.gpu_loops import DeviceDataLoader
    path = cifar_fast_config(cifar_root, str(tmp_path / 'dn'), max_epochs=1,
                             extra=DN_EXTRA.format(root=cifar_root))
    r = _runner(path)
    r.train()
    hook = next(h for h in r.hooks if type(h).__name__ == 'DifficultyNetHook')
    # the meta/accuracy loaders were moved to device-resident data
    assert isinstance(hook.meta_loader, DeviceDataLoader)
    assert isinstance(hook.acc_loader, DeviceDataLoader)
    assert hook._iter.loader is hook.meta_loader
    hub = r.message_hub
    assert len(hub.get_scalar('train/loss_meta').data[0]) == r.iter
    assert float(r.model.class_acc.sum()) > 0  # a was recomputed after the epoch
    metrics = r.val_loop.run()
    assert 'lt/top1' in metrics and r.val_loop._resolved_mode() == 'logits'
