# LDAM-DRW CIFAR-LT recipe (https://arxiv.org/abs/1906.07413; `adjust_learning_rate` of
# https://github.com/kaidic/LDAM-DRW), used by the
# GHM-CWAP paper's ResNet-32 tables: SGD lr 0.1, momentum 0.9, wd 2e-4, batch 128 (set in the
# method configs), 200 epochs; linear warm-up over the first 5 epochs (lr·(e+1)/5 for e = 0..4,
# updated once per epoch as in LDAM's code), then lr ×0.01 from epoch 160 and ×0.0001 from 180
# (0-based epochs; LDAM: "epoch > 160" / "epoch > 180" with 1-based epochs), i.e. a MultiStepLR
# with gamma 0.01 at 160 and 180.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4, nesterov=False))

param_scheduler = [
    # factors 0.2, 0.4, 0.6, 0.8, 1.0 on epochs 0..4 (`end` is exclusive: 1.0 is reached at end-1)
    dict(type='LinearLR', start_factor=0.2, end_factor=1.0, by_epoch=True, begin=0, end=5),
    dict(type='MultiStepLR', milestones=[160, 180], gamma=0.01, by_epoch=True, begin=0, end=200),
]

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# The recipe's lr is for a total batch of 128 (1 GPU x 128). `--auto-scale-lr` rescales it.
auto_scale_lr = dict(base_batch_size=128)
