# GHM-CWAP ablation (paper Table 3 rows, here on CIFAR-100-LT IF100, ResNet-32):
# R+A^AURA: both, adaptive regions (= the full method).
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if100.py'
# (GHMCWAPLoss's defaults: the base config unchanged)
