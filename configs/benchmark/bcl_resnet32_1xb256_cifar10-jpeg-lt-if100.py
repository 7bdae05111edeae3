# BCL (Zhu et al., Balanced Contrastive Learning for Long-Tailed Visual Recognition, CVPR 2022,
# https://arxiv.org/abs/2207.09052) on the JPEG copy of CIFAR-10 made long-tailed at IF100: the
# recipe of configs/bcl/bcl_resnet32_1xb256_cifar10-lt-if100.py (batch 256, SGD lr 0.15, wd 5e-4,
# 200 epochs, 3 views per image) on the data of the other benchmark configs. DBM-BCL
# (dbm-bcl_resnet32_1xb256_cifar10-jpeg-lt-if100.py) inherits it and only changes the loss.
_base_ = [
    '../_base_/models/resnet32_cifar_bcl.py',
    '../_base_/datasets/cifar10_lt_jpeg_bcl.py',
    '../_base_/schedules/cifar_lt_200e_bcl.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
