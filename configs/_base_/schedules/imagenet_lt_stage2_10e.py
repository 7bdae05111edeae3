# Stage 2 of decoupled training on ImageNet-LT / Places-LT (the classifier only; cRT / LWS of
# Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition, ICLR 2020,
# https://arxiv.org/abs/1910.09217, 10 epochs with a cosine schedule): SGD lr 0.1, momentum 0.9,
# wd 5e-4, total batch 256 (4 GPUs x 64), lr cosine to 0 stepped once per epoch.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=False))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=10, eta_min=0.0, by_epoch=True, begin=0, end=10),
]

train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# 4 GPUs x 64 images. Training on a different number of GPUs: add `--auto-scale-lr`.
auto_scale_lr = dict(base_batch_size=256)
