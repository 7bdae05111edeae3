# CIFAR-LT recipe (LDAM/DBM): SGD lr 0.1, momentum 0.9, wd 2e-4, batch 64 (set in the dataset
# base), 200 epochs, 5-epoch linear warm-up then cosine annealing to 0.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4, nesterov=False))

param_scheduler = [
    # lr·(e+1)/5-style ramp, updated every iteration.
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=195, eta_min=0.0, by_epoch=True, begin=5, end=200,
         convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# The recipe's lr is for a total batch of 64 (1 GPU x 64). `--auto-scale-lr` rescales it.
auto_scale_lr = dict(base_batch_size=64)
