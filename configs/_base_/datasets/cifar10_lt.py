# CIFAR-10-LT, LDAM-DRW protocol (n_c = int(5000 * IF^(-c/9)), np.random seed 0, per-class
# shuffle): IF 100 -> 5000 ... 50 images per class, 12,406 in total. Needs the official python
# archive extracted to data/cifar10/cifar-10-batches-py/ (no download is attempted).
# Augmentation: RandomCrop 32 (zero padding 4) + horizontal flip. Batch 64 on 1 GPU.
#
# To change the imbalance factor, override it on the train, val AND test datasets (they carry
# the training class counts used for many/medium/few; LongTailLossHook checks they agree):
#   train_dataloader = dict(dataset=dict(imbalance_factor=50))
#   val_dataloader = dict(dataset=dict(imbalance_factor=50))
#   test_dataloader = dict(dataset=dict(imbalance_factor=50))
# Difficulty-Net's hold-out: meta_per_class=25 on all three (+ subset='meta' for the meta set).
dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'
imbalance_factor = 100

data_preprocessor = dict(
    num_classes=10,
    # RGB statistics of CIFAR-10 (0-255); the pickled images are already RGB.
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
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

# The balanced 10,000-image test set (never subsampled), carrying the training class counts.
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
