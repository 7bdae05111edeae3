# The DBM large-scale code's `--cos` schedule on the ImageNet-LT recipe (imagenet_lt_90e.py: SGD
# lr 0.1, momentum 0.9, wd 5e-4, total batch 256, 90 epochs), set once per epoch e (0-based):
#   lr * 0.5 * (1 + cos(pi * (e - 4) / (E - 4))),
# i.e. the full lr for epochs 0-4 (within 0.6%: its "warm-up" is only this offset) and a cosine
# that ends at lr * 0.5 * (1 + cos(pi * (E - 5) / (E - 4))) in the last epoch. (The base's
# iteration-wise linear warm-up + cosine is replaced.) Another length E: set T_max=E-4, end=E and
# train_cfg.max_epochs=E.
_base_ = './imagenet_lt_90e.py'
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=86, eta_min=0.0, by_epoch=True, begin=4, end=90),
]
