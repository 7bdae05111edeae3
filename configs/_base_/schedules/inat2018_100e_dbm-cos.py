# The DBM large-scale code's iNaturalist 2018 recipe: imagenet_lt_90e_dbm-cos.py (SGD momentum 0.9,
# total batch 256, its cosine schedule) over 100 epochs with lr 0.2 and wd 1e-4.
_base_ = './imagenet_lt_90e_dbm-cos.py'
optim_wrapper = dict(optimizer=dict(lr=0.2, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=96, eta_min=0.0, by_epoch=True, begin=4, end=100),
]
train_cfg = dict(max_epochs=100)
