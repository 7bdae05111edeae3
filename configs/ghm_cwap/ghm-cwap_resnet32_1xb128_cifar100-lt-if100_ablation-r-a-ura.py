# GHM-CWAP ablation (paper Table 3 rows, here on CIFAR-100-LT IF100, ResNet-32):
# R+A^URA: both, uniform regions.
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if100.py'
model = dict(head=dict(loss=dict(adaptive_bins=False)))
