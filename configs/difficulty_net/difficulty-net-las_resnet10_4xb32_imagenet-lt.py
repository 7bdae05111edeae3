# Difficulty-Net stage 2 (label-aware smoothing), ResNet-10, ImageNet-LT: the ResNet-50 stage-2
# config (recipe and notes there) with the ResNet-10 backbone. Reported (two-stage): 44.6.
_base_ = './difficulty-net-las_resnet50_4xb32_imagenet-lt.py'
model = dict(
    backbone=dict(_delete_=True, type='ResNet10', depth=10, num_stages=4, out_indices=(3, ),
                  style='pytorch'),
    head=dict(in_channels=512))
load_from = 'work_dirs/difficulty-net-driver-only_resnet10_4xb32_imagenet-lt/epoch_180.pth'
