# GHM-CWAP ablation, paper Table 3 (ImageNet-LT, ResNet-50):
# R+A^AURA: both, adaptive regions (= the full method).
# GHM-CWAP paper Table 3 (ImageNet-LT, ResNet-50, top-1, R+A^AURA): 38.77.
_base_ = './ghm-cwap_resnet50_4xb64_imagenet-lt.py'
# (GHMCWAPLoss's defaults: the base config unchanged)
