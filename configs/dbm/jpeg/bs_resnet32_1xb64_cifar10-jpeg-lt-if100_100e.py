# Balanced Softmax (linear classifier, CE on logits + log prior), JPEG CIFAR-10-LT IF100, the
# 100-epoch DBM recipe of ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py (only the loss differs).
_base_ = './ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py'
model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
