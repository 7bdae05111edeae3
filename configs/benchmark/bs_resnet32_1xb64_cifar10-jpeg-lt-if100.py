# Performance benchmark: Balanced Softmax (tau 1), otherwise the CE benchmark config.
_base_ = './ce_resnet32_1xb64_cifar10-jpeg-lt-if100.py'
model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
