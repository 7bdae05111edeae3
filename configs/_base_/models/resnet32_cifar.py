# LTR-standard ResNet-32 for 32x32 inputs (the CIFAR ResNet of https://arxiv.org/abs/1512.03385
# as in LDAM-DRW, https://arxiv.org/abs/1906.07413), linear classifier, cross-entropy.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet32_CIFAR', depth=32),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
