# Stage 2, label-aware smoothing (LAS; Zhong et al., Improving Calibration for Long-Tailed
# Recognition, CVPR 2021, https://arxiv.org/abs/2104.00466) on the CE quickstart: the stage-1
# linear classifier is kept and trained further together with one logit scale per class
# (DecoupledClsHead scales=True), under LabelAwareSmoothingLoss with the concave profile
# eps_c = 0.0 + (0.4 - 0.0) * sin(pi (n_c - n_min) / (2 (n_max - n_min))) (MiSLAS's pair for
# IF > 100), on class-balanced batches; recipe and evaluation of the cRT quickstart config.
#   python tools/train.py configs/quickstart/las_resnet32_1xb64_fashion-mnist-lt-if500.py
_base_ = ['./crt_resnet32_1xb64_fashion-mnist-lt-if500.py']

model = dict(
    head=dict(
        type='DecoupledClsHead',
        scales=True,
        train_weights=True,
        loss=dict(_delete_=True, type='LabelAwareSmoothingLoss', eps_head=0.4, eps_tail=0.0)))
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
