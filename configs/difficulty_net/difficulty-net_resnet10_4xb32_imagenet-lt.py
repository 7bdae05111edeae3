# Difficulty-Net, ResNet-10 (BasicBlock x (1, 1, 1, 1), mmltr's ResNet10), ImageNet-LT: the
# ResNet-50 config with the smaller backbone (same recipe, meta set and Difficulty-Net).
#   bash tools/dist_train.sh configs/difficulty_net/difficulty-net_resnet10_4xb32_imagenet-lt.py 4
# Reported (two-stage, without RandAugment): 44.6.
_base_ = './difficulty-net_resnet50_4xb32_imagenet-lt.py'
model = dict(
    backbone=dict(_delete_=True, type='ResNet10', depth=10, num_stages=4, out_indices=(3, ),
                  style='pytorch'),
    head=dict(in_channels=512))
