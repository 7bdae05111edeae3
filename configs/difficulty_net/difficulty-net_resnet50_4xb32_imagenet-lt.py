# Difficulty-Net (Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed
# Recognition, WACV 2023, https://arxiv.org/abs/2209.02960), stage 1, ResNet-50 from scratch,
# ImageNet-LT.
#   bash tools/dist_train.sh configs/difficulty_net/difficulty-net_resnet50_4xb32_imagenet-lt.py 4
# Recipe of the authors' ImageNet-LT config (https://github.com/hitachi-rd-cv/Difficulty_Net): total
# batch 128 (4 GPUs x 32), SGD Nesterov lr 0.05, momentum 0.9, wd 5e-4, cosine over 180 epochs; ℓ =
# Balanced Softmax (`bal_softmax: True`); Difficulty-Net C→1024→1024→C with biases, Adam lr 1e-3, wd
# 1e-4, λ 0.3; RandomResizedCrop 224 + flip + ColorJitter(0.4, 0.4, 0.4, 0) + RandAugment n2 m10.
# Meta/accuracy set: 10 images per class drawn at random (seed 0) from ImageNet_LT_val.txt
# (10,000 images; test pipeline), meta batch 100 in total (25 per GPU). The meta set is part of
# the val list: report the test split (ImageNet_LT_test.txt), not val.
# Differences from the released code (on purpose): the meta step is second order (the released
# ImageNet/Places code takes a first-order "pseudo" step, so the meta CE never reaches
# Difficulty-Net and only the driver loss trains it); labels keep the list's order and
# many/medium/few use the standard >100 / 20-100 / <20 split (not MiSLAS's frequency-sorted index
# ranges).
# Stage 2 (LAS): difficulty-net-las_resnet50_4xb32_imagenet-lt.py; the released code's meta step
# (driver loss only): difficulty-net-driver-only_resnet50_4xb32_imagenet-lt.py. Reported
# (two-stage): 57.4 with RandAugment, 54.0 without.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_lt_randaug.py',
    '../_base_/default_runtime.py',
    '../_base_/difficulty_net_runtime.py',
]
model = dict(
    type='DifficultyNetClassifier',
    head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')),
    difficulty_net=dict(type='DifficultyNet', hidden_dims=(1024, 1024), bias=True),
    driver_weight=0.3,
)
train_dataloader = dict(batch_size=32)

meta_dataloader = dict(
    batch_size=25,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='ClassBalancedSubset',
        per_class=10,
        selection='random',
        seed=0,
        dataset=dict(
            type={{_base_.dataset_type}},
            data_root={{_base_.data_root}},
            ann_file='ImageNet_LT_val.txt',
            train_ann_file={{_base_.train_ann_file}},
            pipeline={{_base_.test_pipeline}})),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
custom_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    dict(type='DifficultyNetHook', meta_dataloader=meta_dataloader, acc_batch_size=64),
]

optim_wrapper = dict(
    constructor='DifficultyNetOptimWrapperConstructor',
    model=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4,
                              nesterov=True)),
    difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4)),
)
param_scheduler = dict(
    model=[
        dict(type='CosineAnnealingLR', T_max=180, eta_min=0.0, by_epoch=True, begin=0, end=180,
             convert_to_iter_based=True),
    ],
    difficulty_net=[],
)
train_cfg = dict(by_epoch=True, max_epochs=180, val_interval=5)
auto_scale_lr = dict(base_batch_size=128)
