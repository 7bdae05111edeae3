# The quickstart's long-tailed method: DBM-BS (cosine classifier + difficulty-aware balancing margin
# + Balanced Softmax, s=32, K=0.1, tau=1) with the same backbone, data and schedule as
# ce_resnet32_1xb64_fashion-mnist-lt-if500.py, so the two runs compare the loss alone.
_base_ = './ce_resnet32_1xb64_fashion-mnist-lt-if500.py'
model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='DBMLoss', base='bs')))
