# CIFAR-100-LT, LDAM-DRW protocol (n_c = int(500 * IF^(-c/99)), np.random seed 0, per-class
# shuffle): IF 100 -> 500 ... 5 images per class, 10,847 in total. Needs the official python
# archive extracted to data/cifar100/cifar-100-python/ (no download is attempted).
# Augmentation: RandomCrop 32 (zero padding 4) + horizontal flip. Batch 64 on 1 GPU.
#
# To change the imbalance factor, override it on the train, val AND test datasets (they carry
# the training class counts used for many/medium/few; LongTailLossHook checks they agree):
#   train_dataloader = dict(dataset=dict(imbalance_factor=50))
#   val_dataloader = dict(dataset=dict(imbalance_factor=50))
#   test_dataloader = dict(dataset=dict(imbalance_factor=50))
# Difficulty-Net's hold-out: meta_per_class=25 on all three (+ subset='meta' for the meta set).
dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
imbalance_factor = 100

data_preprocessor = dict(
    num_classes=100,
    # RGB statistics of CIFAR-100 (0-255); the pickled images are already RGB.
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        imbalance_factor=imbalance_factor,
        imb_type='exp',
        seed=0,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

# The balanced 10,000-image test set (100 per class, never subsampled), carrying the training
# class counts.
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        imbalance_factor=imbalance_factor,
        imb_type='exp',
        seed=0,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = [dict(type='ShotAccuracy')]

test_dataloader = val_dataloader
test_evaluator = val_evaluator
