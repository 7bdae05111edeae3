# Softmax cross-entropy baseline, ResNet-32, CIFAR-100-LT IF500, same recipe as GHM-CWAP.
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if500.py'
model = dict(head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
