# Softmax cross-entropy baseline, ResNet-32, CIFAR-10-LT IF100, same recipe as GHM-CWAP.
# GHM-CWAP paper Table 1 (top-1, Softmax): IF500 59.76, IF100 71.74, IF10 86.69, IF1 93.00.
_base_ = './ghm-cwap_resnet32_1xb128_cifar10-lt-if100.py'
model = dict(head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
