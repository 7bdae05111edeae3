# ImageNet-LT recipe (DBM / BCL code): SGD lr 0.1, momentum 0.9, wd 5e-4, total batch 256,
# 90 epochs; cosine annealing after a 5-epoch linear warm-up.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=False))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=85, eta_min=0.0, by_epoch=True, begin=5, end=90,
         convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=90, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# 4 GPUs x 64 images. Training on a different number of GPUs: add `--auto-scale-lr`.
auto_scale_lr = dict(base_batch_size=256)
