# LTR-standard ResNet-32 for 32x32 inputs (Cao et al. 2019), linear classifier, cross-entropy.
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
