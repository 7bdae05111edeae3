# GHM-CWAP ablation, paper Table 3 (ImageNet-LT, ResNet-50):
# A^URA: inter-category balance only, uniform regions.
# GHM-CWAP paper Table 3 (ImageNet-LT, ResNet-50, top-1, A^URA): 37.07.
_base_ = './ghm-cwap_resnet50_4xb64_imagenet-lt.py'
model = dict(head=dict(loss=dict(use_intra=False, adaptive_bins=False)))
