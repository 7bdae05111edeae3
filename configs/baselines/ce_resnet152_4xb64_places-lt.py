# Cross-entropy baseline, Places-LT (365 classes), ResNet-152 initialised from ImageNet weights
# (the Places-LT convention), 30 epochs, lr 0.01 (x0.1 at 10 and 20), wd 5e-4, 4 GPUs x 64 images.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/places_lt.py',
    '../_base_/schedules/imagenet_lt_90e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        depth=152,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet152_8xb32_in1k_20210901-4d7582fa.pth',
            prefix='backbone')),
    head=dict(num_classes=365))
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[10, 20], gamma=0.1)]
train_cfg = dict(max_epochs=30)
