# ResNet-50 for 224x224 inputs (ImageNet-LT 1000 classes by default) with a cosine classifier and
# DBM-BS, the DBM paper's large-scale setting (s=30, K=0.1, tau=1; log prior added after the
# margin). CosineClsHead passes raw cosines to DBMLoss and predicts argmax cos (no test-time prior).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='CosineClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='DBMLoss', scale=30.0, base='bs'),
        topk=(1, 5),
    ))
