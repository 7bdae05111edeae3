# Seesaw loss baseline (MMPretrain's SeesawLoss: p 0.8, q 2.0), ResNet-50, ImageNet-LT,
# same recipe as the GHM-CWAP config.
# GHM-CWAP paper Table 2 (ImageNet-LT, ResNet-50, top-1, Seesaw, schedule not stated): 38.02.
# (Softmax CE: configs/baselines/ce_resnet50_4xb64_imagenet-lt.py.)
# Note: MMPretrain's SeesawLoss counts samples per rank (no all_reduce across GPUs).
_base_ = './ghm-cwap_resnet50_4xb64_imagenet-lt.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='SeesawLoss', num_classes=1000, p=0.8, q=2.0)))
