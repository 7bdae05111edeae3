# Cross-entropy baseline, ResNet-50 from scratch, iNaturalist 2018 (8,142 classes), 100 epochs,
# lr 0.2, wd 1e-4 (the DBM large-scale recipe), 4 GPUs x 64 images.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/inat2018.py',
    '../_base_/schedules/imagenet_lt_90e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(lr=0.2, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=0.0, by_epoch=True, begin=5, end=100,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=100)
