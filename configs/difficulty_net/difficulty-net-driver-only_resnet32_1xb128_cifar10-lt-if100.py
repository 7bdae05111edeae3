# Difficulty-Net as the authors' released code trains it (meta_gradient='driver_only': only
# 0.3 x the driver loss trains Difficulty-Net, see the CIFAR-100 driver-only configs), ResNet-32,
# CIFAR-10-LT IF100. The released loader does not run on CIFAR-10, so there is no official
# CIFAR-10 number.
_base_ = './difficulty-net_resnet32_1xb128_cifar10-lt-if100.py'
model = dict(meta_gradient='driver_only')
