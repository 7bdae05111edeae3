# Cross-entropy baseline, ResNet-32, CIFAR-100-LT IF100 (crop + flip), 200 epochs, batch 64.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar100_lt.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=100))
