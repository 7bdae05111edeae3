# Stage 2 of decoupled training on CIFAR-LT (the classifier only; MiSLAS's CIFAR stage-2 recipe,
# Zhong et al., Improving Calibration for Long-Tailed Recognition, CVPR 2021,
# https://arxiv.org/abs/2104.00466): SGD lr 0.1, momentum 0.9, wd 2e-4, batch 128 (set by the
# config), 10 epochs, lr cosine to 0 stepped once per epoch.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4, nesterov=False))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=10, eta_min=0.0, by_epoch=True, begin=0, end=10),
]

train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=128)
