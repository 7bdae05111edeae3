# Label-aware smoothing (MiSLAS stage 2; Zhong et al., Improving Calibration for Long-Tailed
# Recognition, CVPR 2021, https://arxiv.org/abs/2104.00466) on the CE stage 1, ResNet-32,
# CIFAR-100-LT IF100: the stage-1 classifier is kept and trained further with one learnt logit
# scale per class (DecoupledClsHead scales=True), under LabelAwareSmoothingLoss with the concave
# profile and MiSLAS's pair for 50 < IF <= 100, (eps_head, eps_tail) = (0.4, 0.1); the rest as
# the cRT config. (MiSLAS also shifts the BatchNorm statistics in stage 2; here they stay frozen.)
#   python tools/train.py configs/decoupling/ce-las_resnet32_1xb128_cifar100-lt-if100.py
_base_ = './ce-crt_resnet32_1xb128_cifar100-lt-if100.py'
model = dict(
    head=dict(
        type='DecoupledClsHead',
        scales=True,
        train_weights=True,
        loss=dict(_delete_=True, type='LabelAwareSmoothingLoss', eps_head=0.4, eps_tail=0.1)))
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
