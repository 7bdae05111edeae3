# DBM-BS (cosine classifier, DBM margin s=32, K=0.1, tau=1, lambda_inst=1, then Balanced Softmax),
# JPEG CIFAR-10-LT IF100, the 100-epoch DBM recipe of
# ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py (only the head and loss differ).
_base_ = './ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py'
model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='DBMLoss', base='bs')))
