# Difficulty-Net on the JPEG copy of CIFAR-10 (data/cifar10-jpeg, see
# configs/_base_/datasets/cifar10_lt_jpeg.py) at IF100, ResNet-32: the GPU check against
# configs/dbm/jpeg/ce_*_100e.py.
# Same recipe as that CE run (batch 64, SGD lr 0.1, momentum 0.9, wd 2e-4, 5-epoch linear warm-up
# then cosine to epoch 100, RandomCrop 32 pad 4 + flip + AutoAugment CIFAR-10 policy + Cutout
# 16 px, CIFAR-10 mean/std), plus Difficulty-Net: the last 25 images of every class (file order)
# are held out BEFORE the long tail is drawn (balanced meta set, 250 images); the long tail comes
# from the remaining 4,975 per class with the LDAM seeded selection (selection='random', as the CE
# run, so the hold-out is the only data difference: 4975, 2982, ..., 49 images). Adam lr 1e-5
# (wd 1e-4) on Difficulty-Net (C→128→128→C, no biases), λ = 0.3, meta batch 100 (test pipeline).
#   python tools/train.py \
#       configs/difficulty_net/jpeg/difficulty-net_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py
_base_ = [
    '../../_base_/models/resnet32_cifar.py',
    '../../_base_/datasets/cifar10_lt_jpeg_autoaug.py',
    '../../_base_/default_runtime.py',
    '../../_base_/difficulty_net_runtime.py',
]
imbalance_factor = 100
meta_per_class = 25

model = dict(
    type='DifficultyNetClassifier',
    head=dict(num_classes=10),
    difficulty_net=dict(type='DifficultyNet', hidden_dims=(128, 128), bias=False),
    driver_weight=0.3,
)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(imbalance_factor=imbalance_factor, meta_per_class=meta_per_class, subset='lt',
                 selection='random'))
val_dataloader = dict(
    dataset=dict(imbalance_factor=imbalance_factor, meta_per_class=meta_per_class))
test_dataloader = dict(
    dataset=dict(imbalance_factor=imbalance_factor, meta_per_class=meta_per_class))

meta_dataloader = dict(
    batch_size=100,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type='LongTailedDataset',
        imbalance_factor=imbalance_factor,
        meta_per_class=meta_per_class,
        subset='meta',
        dataset=dict(
            type='CustomDataset',
            data_root={{_base_.data_root}},
            data_prefix='train',
            pipeline={{_base_.test_pipeline}})),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
custom_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    dict(type='DifficultyNetHook', meta_dataloader=meta_dataloader, acc_batch_size=256),
]

optim_wrapper = dict(
    constructor='DifficultyNetOptimWrapperConstructor',
    model=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4)),
    difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-5, weight_decay=1e-4)),
)
param_scheduler = dict(
    model=[
        dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
             convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', T_max=95, eta_min=0.0, by_epoch=True, begin=5, end=100,
             convert_to_iter_based=True),
    ],
    difficulty_net=[],
)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
auto_scale_lr = dict(base_batch_size=64)
