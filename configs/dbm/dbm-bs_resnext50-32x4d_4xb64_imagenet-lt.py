# DBM-BS on ImageNet-LT with a ResNeXt-50 (32x4d) backbone: the ResNet-50 recipe, only the backbone
# changes (its output is also 2048-d, so the cosine head is unchanged).
_base_ = './dbm-bs_resnet50_4xb64_imagenet-lt.py'
model = dict(
    backbone=dict(_delete_=True, type='ResNeXt', depth=50, groups=32, width_per_group=4,
                  num_stages=4, out_indices=(3, ), style='pytorch'))
