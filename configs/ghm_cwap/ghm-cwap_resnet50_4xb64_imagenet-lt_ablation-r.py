# GHM-CWAP ablation, paper Table 3 (ImageNet-LT, ResNet-50):
# R: intra-category balance only, uniform regions (URA; AURA is the last row of Table 3).
# GHM-CWAP paper Table 3 (ImageNet-LT, ResNet-50, top-1, R): 38.02.
_base_ = './ghm-cwap_resnet50_4xb64_imagenet-lt.py'
model = dict(head=dict(loss=dict(use_inter=False, adaptive_bins=False)))
