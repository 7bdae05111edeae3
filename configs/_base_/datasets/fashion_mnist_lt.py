# Fashion-MNIST-LT: the real Fashion-MNIST (Debian package `dataset-fashion-mnist`, prepared into
# data/fashion-mnist by tools/dataset_converters/prepare_fashion_mnist.py) made long-tailed with the
# CIFAR-LT protocol by LongTailedDataset. IF 500 on 6,000 images/class gives 6000 ... 12 images:
# 6 many-shot, 3 medium-shot and 1 few-shot class, so every many/medium/few group is populated.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion-mnist'
imbalance_factor = 500

data_preprocessor = dict(
    num_classes=10,
    # Fashion-MNIST grayscale statistics (0-255 scale).
    mean=[72.94],
    std=[90.02],
    to_rgb=False,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type='LongTailedDataset',
        imbalance_factor=imbalance_factor,
        imb_type='exp',
        seed=0,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            download=False,
            pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type='LongTailedDataset',
        imbalance_factor=imbalance_factor,
        imb_type='exp',
        seed=0,
        subsample=False,  # the balanced test split, carrying the long-tailed training counts
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='test',
            # mmpretrain 1.2.0's MNIST datasets read the test files only when test_mode=True.
            test_mode=True,
            download=False,
            pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = [dict(type='ShotAccuracy')]

test_dataloader = val_dataloader
test_evaluator = val_evaluator
