# GHM-CWAP ablation, paper Table 3 (ImageNet-LT, ResNet-50):
# R+A^URA: both, uniform regions.
# GHM-CWAP paper Table 3 (ImageNet-LT, ResNet-50, top-1, R+A^URA): 38.42.
_base_ = './ghm-cwap_resnet50_4xb64_imagenet-lt.py'
model = dict(head=dict(loss=dict(adaptive_bins=False)))
