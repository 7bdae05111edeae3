# The quickstart job (README command 1): ResNet-32 on the real Fashion-MNIST made long-tailed
# (IF 500), trained on CPU in a few minutes, evaluated with many/medium/few accuracy.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/fashion_mnist_lt.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]

max_epochs = 4
model = dict(backbone=dict(in_channels=1), head=dict(num_classes=10))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=50))
