# GHM-CWAP ablation, paper Table 3 (ImageNet-LT, ResNet-50):
# R+A^AURA: both, adaptive regions (= the full method).
_base_ = './ghm-cwap_resnet50_4xb64_imagenet-lt.py'
# (GHMCWAPLoss's defaults: the base config unchanged)
