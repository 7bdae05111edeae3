# GHM-CWAP (bins 30, alpha 0.9, gamma 0.8, adaptive regions) on JPEG CIFAR-10-LT IF100, 100 epochs:
# the recipe of configs/dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py with the loss
# swapped.
_base_ = '../../dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py'
model = dict(head=dict(loss=dict(_delete_=True, type='GHMCWAPLoss', num_classes=10)))
