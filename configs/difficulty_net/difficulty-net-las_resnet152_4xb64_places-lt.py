# Difficulty-Net stage 2 (label-aware smoothing, MiSLAS), ResNet-152, Places-LT:
#   bash tools/dist_train.sh \
#       configs/difficulty_net/difficulty-net-driver-only_resnet152_4xb32_places-lt.py 4
#   bash tools/dist_train.sh \
#       configs/difficulty_net/difficulty-net-las_resnet152_4xb64_places-lt.py 4
# Recipe of the authors' Places-LT stage-2 config: only the per-class logit scales are learnt,
# LabelAwareSmoothingLoss (concave, (0.4, 0.1)), class-balanced batches, SGD lr 0.1, momentum
# 0.9, wd 5e-4, total batch 256 (4 x 64), 20 epochs, lr cosine per epoch. The backbone weights
# come from load_from (no ImageNet download) and stay frozen with their BatchNorm statistics.
# Reported (two-stage): 41.7.
_base_ = './difficulty-net_resnet152_4xb32_places-lt.py'

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=152, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='DecoupledClsHead',
        num_classes=365,
        in_channels=2048,
        scales=True,
        train_weights=False,
        loss=dict(type='LabelAwareSmoothingLoss', eps_head=0.4, eps_tail=0.1),
        topk=(1, 5)))
model_wrapper_cfg = None  # a plain classifier again: MMEngine's DDP wrapper
find_unused_parameters = True  # the frozen backbone (see configs/_base_/stage2_runtime.py)

train_dataloader = dict(
    batch_size=64, sampler=dict(_delete_=True, type='ClassAwareSampler', num_samples_cls=1))
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=False))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=20, eta_min=0.0, by_epoch=True, begin=0, end=20),
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
auto_scale_lr = dict(base_batch_size=256)

custom_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    dict(type='FreezeHook', modules=('backbone', 'neck')),
    dict(type='Stage1CheckpointHook', reinit=()),
]
load_from = 'work_dirs/difficulty-net-driver-only_resnet152_4xb32_places-lt/epoch_30.pth'
