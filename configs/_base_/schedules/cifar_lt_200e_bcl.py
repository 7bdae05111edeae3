# The CIFAR-LT recipe (cifar_lt_200e.py: SGD momentum 0.9, 200 epochs, 5-epoch linear warm-up then
# cosine) with BCL's settings in the DBM paper and code: lr 0.15 and wd 5e-4 for a total batch of
# 256 (set in the *_lt_bcl.py dataset bases; `--auto-scale-lr` rescales the lr for another batch).
_base_ = './cifar_lt_200e.py'
optim_wrapper = dict(optimizer=dict(lr=0.15, weight_decay=5e-4))
auto_scale_lr = dict(base_batch_size=256)
