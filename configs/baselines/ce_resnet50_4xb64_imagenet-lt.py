# Cross-entropy baseline, ResNet-50 from scratch, ImageNet-LT, 90 epochs, 4 GPUs x 64 images:
#   bash tools/dist_train.sh configs/baselines/ce_resnet50_4xb64_imagenet-lt.py 4
# GHM-CWAP paper Table 2 (ImageNet-LT, ResNet-50, top-1, Softmax, schedule not stated): 36.67.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_lt.py',
    '../_base_/schedules/imagenet_lt_90e.py',
    '../_base_/default_runtime.py',
]
