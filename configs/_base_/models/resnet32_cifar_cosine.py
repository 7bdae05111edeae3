# LTR-standard ResNet-32 for 32x32 inputs with a cosine classifier (LDAM's NormedLinear / DBM's
# cosine classifier: L2-normalised 64-d features and weights, no bias, fp32 under AMP).
# CosineClsHead hands raw cosines to losses that declare `expects_cosine` (DBMLoss, LDAMLoss: they
# apply their own scale and margins) and scale*cos to any other loss; it predicts argmax cos.
# Default loss: DBM-CE of the DBM paper's CIFAR recipe (DBMLoss's defaults: s=32, K=0.1, tau=1,
# lambda_inst=1, base='ce');
# configs switch the base loss with e.g. `model = dict(head=dict(loss=dict(base='bs')))`.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet32_CIFAR', depth=32),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='CosineClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='DBMLoss'),
    ))
