# Performance benchmark: DBM-BS (cosine classifier, difficulty-aware balancing margin s=32, K=0.1,
# tau=1, lambda_inst=1, then Balanced Softmax), otherwise the CE benchmark config; the head is
# configs/dbm/dbm-bs_resnet32_1xb64_cifar10-lt-if100.py's.
_base_ = './ce_resnet32_1xb64_cifar10-jpeg-lt-if100.py'
model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='DBMLoss', base='bs')))
