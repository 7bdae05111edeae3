# cRT with a cosine classifier on the DBM-BS ResNeXt-50 (32x4d) stage 1, ImageNet-LT:
#   bash tools/dist_train.sh configs/dbm/dbm-bs_resnext50-32x4d_4xb64_imagenet-lt.py 4   # stage 1
#   bash tools/dist_train.sh configs/decoupling/dbm-bs-crt_resnext50-32x4d_4xb64_imagenet-lt.py 4
# The frozen ResNeXt-50 backbone, a re-initialised CosineClsHead (CE on 30 * cos), otherwise the
# ResNet-50 cRT config. For the stage 1 of Kang et al. (CE), train a CE ResNeXt-50 and point
# load_from at it with a LinearClsHead (the ResNet-50 cRT config's head).
_base_ = './ce-crt_resnet50_4xb64_imagenet-lt.py'
model = dict(
    backbone=dict(_delete_=True, type='ResNeXt', depth=50, groups=32, width_per_group=4,
                  num_stages=4, out_indices=(3, ), style='pytorch'),
    head=dict(_delete_=True, type='CosineClsHead', num_classes=1000, in_channels=2048,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              # class vectors of norm ~8 (CosineClsHead's default std=0.01 gives ~0.45: its first
              # SGD steps, of size ~lr * scale / norm, would throw them off and then nearly stop)
              init_cfg=dict(type='Normal', layer='Linear', std=0.18)))
load_from = 'work_dirs/dbm-bs_resnext50-32x4d_4xb64_imagenet-lt/epoch_90.pth'
