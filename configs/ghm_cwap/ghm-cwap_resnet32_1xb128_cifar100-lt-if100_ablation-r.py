# GHM-CWAP ablation (paper Table 3 rows, here on CIFAR-100-LT IF100, ResNet-32):
# R: intra-category balance only, uniform regions (URA; AURA is the last row of Table 3).
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if100.py'
model = dict(head=dict(loss=dict(use_inter=False, adaptive_bins=False)))
