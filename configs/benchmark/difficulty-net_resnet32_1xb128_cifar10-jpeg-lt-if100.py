# Performance benchmark: Difficulty-Net (stage 1) on JPEG CIFAR-10-LT IF100. The model, meta step,
# optimizers (SGD + Adam), schedule and batch 128 are those of
# configs/difficulty_net/difficulty-net_resnet32_1xb128_cifar10-lt-if100.py; the data are the JPEG
# copy (data/cifar10-jpeg) with Difficulty-Net's protocol (the last 25 images per class held out as
# the balanced meta set, the first n_c of the remaining 4,975 kept per class) and the same training
# augmentation as the other benchmark configs (crop + flip + AutoAugment CIFAR-10 + Cutout).
# On the fast path the meta and accuracy loaders built by DifficultyNetHook are device-resident too.
#   python tools/benchmark/train_speed.py \
#       configs/benchmark/difficulty-net_resnet32_1xb128_cifar10-jpeg-lt-if100.py \
#       --epochs 200 --modes standard,fast --out-dir work_dirs/speed/difficulty-net
_base_ = ['../difficulty_net/difficulty-net_resnet32_1xb128_cifar10-lt-if100.py']

data_root = 'data/cifar10-jpeg'
imbalance_factor = 100
meta_per_class = 25

data_preprocessor = dict(to_rgb=True)  # LoadImageFromFile gives BGR; mean/std as the base

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='AutoAugment', policies={{_base_.autoaug_cifar10_policies}},
         hparams=dict(pad_val=(128, 128, 128))),
    dict(type='DeVriesCutout', length=16, n_holes=1, pad_val=0),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
raw_train = dict(type='CustomDataset', data_root=data_root, data_prefix='train')

train_dataloader = dict(
    _delete_=True,
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(type='LongTailedDataset', imbalance_factor=imbalance_factor,
                 meta_per_class=meta_per_class, subset='lt', selection='first',
                 dataset=dict(raw_train, pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    _delete_=True,
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(type='LongTailedDataset', subsample=False, imbalance_factor=imbalance_factor,
                 meta_per_class=meta_per_class, train_dataset=raw_train,
                 dataset=dict(type='CustomDataset', data_root=data_root, data_prefix='test',
                              pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = val_dataloader

meta_dataloader = dict(
    batch_size=100,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(type='LongTailedDataset', imbalance_factor=imbalance_factor,
                 meta_per_class=meta_per_class, subset='meta',
                 dataset=dict(raw_train, pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
custom_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    dict(type='DifficultyNetHook', meta_dataloader=meta_dataloader, acc_batch_size=256),
]
