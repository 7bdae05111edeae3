# Label-aware smoothing (MiSLAS stage 2; Zhong et al., Improving Calibration for Long-Tailed
# Recognition, CVPR 2021, https://arxiv.org/abs/2104.00466) on the CE baseline, ResNet-50,
# ImageNet-LT: the stage-1 classifier is trained further with one logit scale per class, under
# LabelAwareSmoothingLoss (concave, MiSLAS's ImageNet-LT pair (0.3, 0.0)); the rest as the cRT
# config. (MiSLAS also shifts the BatchNorm statistics in stage 2; here they stay frozen.)
#   bash tools/dist_train.sh configs/decoupling/ce-las_resnet50_4xb64_imagenet-lt.py 4
_base_ = './ce-crt_resnet50_4xb64_imagenet-lt.py'
model = dict(
    head=dict(
        type='DecoupledClsHead',
        scales=True,
        train_weights=True,
        loss=dict(_delete_=True, type='LabelAwareSmoothingLoss', eps_head=0.3, eps_tail=0.0)))
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
