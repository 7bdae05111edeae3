# Difficulty-Net (Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed
# Recognition, WACV 2023, https://arxiv.org/abs/2209.02960), stage 1, ResNet-32, CIFAR-100-LT IF100.
#   python tools/train.py configs/difficulty_net/difficulty-net_resnet32_1xb128_cifar100-lt-if100.py
#
# The CIFAR-10-LT IF100 config on CIFAR-100-LT: model, meta step, recipe, schedule and augmentation
# are inherited (see the notes there).
# Data: the last 25 images per class of the original training set are held out first as the balanced
# meta/accuracy set (2,500 images); the long tail is drawn from the remaining 475 per class (n_c =
# int(475 * IF^(-c/99)); IF100: 10,302 images, min 4), so the counts differ from the standard LDAM
# split (max 500, min 5 at IF100). `selection='first'` keeps the first n_c images of each class as
# the authors' CIFAR code does (unshuffled); the val/test splits carry the same counts.
# Stage 2 (LAS): difficulty-net-las_resnet32_1xb128_cifar100-lt-if100.py; the released code's
# meta step: difficulty-net-driver-only_*. Reported (two-stage, CIFAR-100 only):
# IF10 65.22, IF50 56.90, IF100 52.96 (top-1 %, CIFAR-100-LT).
# Other imbalance factors: the -if10/-if50/-if200 configs inherit this one.
_base_ = './difficulty-net_resnet32_1xb128_cifar10-lt-if100.py'

# CIFAR-100-LT in place of CIFAR-10-LT (configs/_base_/datasets/cifar100_lt.py's dataset); the
# normalisation is already CIFAR-100's (the authors' values for both datasets).
dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
model = dict(head=dict(num_classes=100))
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))

# The base's meta set (its `_base_.meta_dataloader`) on CIFAR-100; custom_hooks is a list, which
# inheritance replaces as a whole, so it is given again with this meta set.
meta_dataloader = _base_.meta_dataloader
meta_dataloader.dataset.update(type=dataset_type, data_root=data_root)
custom_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    dict(type='DifficultyNetHook', meta_dataloader=meta_dataloader, acc_batch_size=256),
]
