# Softmax cross-entropy baseline, ResNet-32, CIFAR-100-LT IF100, same recipe as GHM-CWAP.
# GHM-CWAP paper Table 1 (top-1, Softmax): IF500 30.90, IF100 38.77, IF10 57.21, IF1 71.00.
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if100.py'
model = dict(head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
