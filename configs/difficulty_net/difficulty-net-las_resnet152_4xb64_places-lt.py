# Difficulty-Net stage 2 (label-aware smoothing, MiSLAS), ResNet-152, Places-LT:
#   bash tools/dist_train.sh \
#       configs/difficulty_net/difficulty-net-driver-only_resnet152_4xb32_places-lt.py 4
#   bash tools/dist_train.sh \
#       configs/difficulty_net/difficulty-net-las_resnet152_4xb64_places-lt.py 4
# Recipe of the authors' Places-LT stage-2 config: only the per-class logit scales are learnt,
# LabelAwareSmoothingLoss (concave, (0.4, 0.1)), class-balanced batches, SGD lr 0.1, momentum
# 0.9, wd 5e-4, total batch 256 (4 x 64), 20 epochs, lr cosine per epoch. The backbone weights
# come from load_from (no ImageNet download) and stay frozen with their BatchNorm statistics.
# Training augmentation of the stage-1 config (RandomResizedCrop + flip + ColorJitter). Reported
# (two-stage): 41.7.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/places_lt.py',
    '../_base_/schedules/imagenet_lt_stage2_10e.py',
    '../_base_/stage2_runtime.py',
]
model = dict(
    backbone=dict(depth=152),
    head=dict(
        type='DecoupledClsHead',
        num_classes=365,
        scales=True,
        train_weights=False,
        loss=dict(_delete_=True, type='LabelAwareSmoothingLoss', eps_head=0.4, eps_tail=0.1)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.0),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(_delete_=True, type='ClassAwareSampler', num_samples_cls=1))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=20, eta_min=0.0, by_epoch=True, begin=0, end=20),
]
train_cfg = dict(max_epochs=20)
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
load_from = 'work_dirs/difficulty-net-driver-only_resnet152_4xb32_places-lt/epoch_30.pth'
