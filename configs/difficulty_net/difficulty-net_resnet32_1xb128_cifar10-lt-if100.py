# Difficulty-Net (Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed
# Recognition, WACV 2023, https://arxiv.org/abs/2209.02960), stage 1, ResNet-32, CIFAR-10-LT IF100.
#   python tools/train.py configs/difficulty_net/difficulty-net_resnet32_1xb128_cifar10-lt-if100.py
#
# Data: the last 25 images per class of the original training set are held out first as the
# balanced meta/accuracy set (250 images); the long tail is drawn from the remaining 4,975 per
# class (n_c = int(4975 * IF^(-c/9))), so the counts differ from the standard LDAM split
# (max 5000, min 50 at IF100). `selection='first'` keeps the first n_c images of each class
# as the authors' CIFAR code does (unshuffled); the val/test splits carry the same training counts.
# Model: ResNet-32 + linear classifier, loss ℓ = CE (the authors' `--loss_type Difficulty_net`),
# Difficulty-Net MLP C→128→128→C without biases, λ (driver loss) = 0.3.
# Meta step (mmltr/models/classifiers/difficulty_net_classifier.py): second-order virtual SGD step
# with the model's current lr, meta CE on a batch of 100 held-out images (test pipeline) + λ·driver,
# Adam on Difficulty-Net, then the real weighted SGD step. a (per-class meta-set accuracy) is
# recomputed after every epoch by DifficultyNetHook (a = 0 in the first epoch).
# Recipe (https://github.com/hitachi-rd-cv/Difficulty_Net): SGD lr 0.1, momentum 0.9, wd 1e-4, batch
# 128; Adam lr 1e-5, wd 1e-4.
# Schedule: the released script is NOT the paper's recipe: its default is max_epochs=12800 with
# a WRN-28-10 lr ramp/decay (and a commented-out ResNet-32 schedule of x0.01 at 160 and 210). We use
# the proposed ResNet-32 schedule: 200 epochs, 5-epoch linear warm-up, lr x0.01 at epoch 160.
# Augmentation (authors' code, not the DBM recipe's): reflect pad 4, RandomCrop 32 pad 4 (zero),
# flip, their own AutoAugment CIFAR-10 policy (DifficultyNetAutoAugment: each magnitude uniform
# between adjacent steps of a signed scale, cubic-spline warps filled with 0), Cutout 16 px filled
# with the image mean (MeanCutout, without the released code's left = top bug, which puts the
# hole on the diagonal); CIFAR-100 mean/std for both datasets, as in their code. The fast path
# (configs/_base_/fast_path.py) runs both batched on the GPU.
# Meta gradient: second order, as the paper describes it; the authors' released code trains
# Difficulty-Net with the driver loss only, which the difficulty-net-driver-only_ configs do.
# Stage 2 (label-aware smoothing): the difficulty-net-las_ configs. Reported (two-stage,
# released code, CIFAR-100 only): IF10 65.22, IF50 56.90, IF100 52.96; CIFAR-10-LT numbers are
# not available.
# Other imbalance factors: the -if10/-if50/-if200 configs inherit this one; so does the
# CIFAR-100-LT IF100 config (it changes only the dataset).
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar10_lt_autoaug.py',
    '../_base_/default_runtime.py',
    '../_base_/difficulty_net_runtime.py',
]
imbalance_factor = 100
meta_per_class = 25

model = dict(
    type='DifficultyNetClassifier',
    head=dict(num_classes=10, loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    difficulty_net=dict(type='DifficultyNet', hidden_dims=(128, 128), bias=False),
    driver_weight=0.3,
)
data_preprocessor = dict(
    num_classes=10,
    mean=[129.304, 124.070, 112.434],  # (0.5071, 0.4865, 0.4409) x 255, the authors' values
    std=[68.170, 65.392, 70.418],  # (0.2673, 0.2564, 0.2762) x 255
    to_rgb=False,
)

train_pipeline = [
    # reflect-pad 4 (a 40 px crop of the reflect-padded 40 px image), then RandomCrop 32 pad 4
    dict(type='RandomCrop', crop_size=40, pad_if_needed=True, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='DifficultyNetAutoAugment', channel_order='rgb'),  # CIFAR pickles are RGB
    dict(type='MeanCutout', length=16),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    dataset=dict(imbalance_factor=imbalance_factor, meta_per_class=meta_per_class, subset='lt',
                 selection='first', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(imbalance_factor=imbalance_factor, meta_per_class=meta_per_class))
test_dataloader = dict(
    dataset=dict(imbalance_factor=imbalance_factor, meta_per_class=meta_per_class))

# The balanced meta set: the held-out 25 images per class, test pipeline, batch 100 (per GPU).
meta_dataloader = dict(
    batch_size=100,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type='CIFAR10LT',
        data_root={{_base_.data_root}},
        split='train',
        imbalance_factor=imbalance_factor,
        meta_per_class=meta_per_class,
        subset='meta',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
custom_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    # builds the meta loader, attaches it to the model, recomputes a after every epoch
    dict(type='DifficultyNetHook', meta_dataloader=meta_dataloader, acc_batch_size=256),
]

# Two optimizers (OptimWrapperDict): SGD for the classifier, Adam for Difficulty-Net.
optim_wrapper = dict(
    constructor='DifficultyNetOptimWrapperConstructor',
    model=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)),
    difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-5, weight_decay=1e-4)),
)
# LR schedules per optimizer: only the model's lr is scheduled (Adam keeps 1e-5).
param_scheduler = dict(
    model=[
        dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
             convert_to_iter_based=True),
        dict(type='MultiStepLR', by_epoch=True, milestones=[160], gamma=0.01),
    ],
    difficulty_net=[],
)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
auto_scale_lr = dict(base_batch_size=128)
