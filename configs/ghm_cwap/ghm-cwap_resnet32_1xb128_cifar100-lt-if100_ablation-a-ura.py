# GHM-CWAP ablation (paper Table 3 rows, here on CIFAR-100-LT IF100, ResNet-32):
# A^URA: inter-category balance only, uniform regions.
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if100.py'
model = dict(head=dict(loss=dict(use_intra=False, adaptive_bins=False)))
