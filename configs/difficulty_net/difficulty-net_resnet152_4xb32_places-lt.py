# Difficulty-Net (Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed
# Recognition, WACV 2023, https://arxiv.org/abs/2209.02960), stage 1, ResNet-152 initialised from
# ImageNet weights (the Places-LT convention), Places-LT (365 classes).
#   bash tools/dist_train.sh configs/difficulty_net/difficulty-net_resnet152_4xb32_places-lt.py 4
# Recipe of the authors' Places-LT config (https://github.com/hitachi-rd-cv/Difficulty_Net): total
# batch 128 (4 GPUs x 32), SGD lr 0.01 for the classifier and 0.001 for the pretrained backbone
# (lr_mult 0.1), momentum 0.9, wd 5e-4, lr x0.1 at epochs 10 and 20, 30 epochs; ℓ = Balanced
# Softmax; Difficulty-Net C→512→512→C with biases, Adam lr 1e-3, wd 1e-4, λ 0.3; RandomResizedCrop
# 224 + flip + ColorJitter(0.4, 0.4, 0.4, 0) (MiSLAS's Places augmentation).
# Meta/accuracy set: 10 images per class drawn at random (seed 0) from Places_LT_val.txt (3,650
# images), meta batch 100 in total (25 per GPU); report the test split, not val.
# Differences from the released code: second-order meta step (see the ImageNet-LT config); the
# extra MiSLAS Bottleneck block between backbone and classifier is not added (plain ResNet-152 +
# linear head); standard many/medium/few thresholds. Stage 2 (LAS):
# difficulty-net-las_resnet152_4xb64_places-lt.py; the released code's meta step (driver loss
# only): difficulty-net-driver-only_resnet152_4xb32_places-lt.py.
# Reported (two-stage): 41.7.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/places_lt.py',
    '../_base_/default_runtime.py',
    '../_base_/difficulty_net_runtime.py',
]
model = dict(
    type='DifficultyNetClassifier',
    backbone=dict(
        depth=152,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet152_8xb32_in1k_20210901-4d7582fa.pth',
            prefix='backbone')),
    head=dict(num_classes=365, loss=dict(_delete_=True, type='BalancedSoftmaxLoss')),
    difficulty_net=dict(type='DifficultyNet', hidden_dims=(512, 512), bias=True),
    driver_weight=0.3,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.0),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))

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
            ann_file='Places_LT_val.txt',
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
    model=dict(
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})),
    difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4)),
)
param_scheduler = dict(
    model=[dict(type='MultiStepLR', by_epoch=True, milestones=[10, 20], gamma=0.1)],
    difficulty_net=[],
)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
auto_scale_lr = dict(base_batch_size=128)
