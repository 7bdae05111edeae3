# Seesaw loss (MMPretrain's SeesawLoss: p 0.8, q 2.0) on JPEG CIFAR-10-LT IF100, 100 epochs: the
# recipe of configs/dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py with the loss swapped.
_base_ = '../../dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='SeesawLoss', num_classes=10, p=0.8, q=2.0)))
