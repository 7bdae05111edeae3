# DBM-BCL on the JPEG copy of CIFAR-10-LT IF100: bcl_resnet32_1xb256_cifar10-jpeg-lt-if100.py with
# the classification branch of configs/dbm/dbm-bcl_resnet32_1xb256_cifar10-lt-if100.py (DBM logits,
# s=32, K=0.1, plus the log prior).
_base_ = './bcl_resnet32_1xb256_cifar10-jpeg-lt-if100.py'
model = dict(head=dict(classifier=dict(loss=dict(_delete_=True, type='DBMLoss', base='bs',
                                                 scale=32.0))))
