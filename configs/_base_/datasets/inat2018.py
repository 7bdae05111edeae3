# iNaturalist 2018: 8,142 classes, 437,513 training images (1000 ... 2 per class). Layout:
#   data/inat2018/iNaturalist18_{train,val}.txt   (lists from the OLTR / Decoupling release)
#   data/inat2018/train_val2018/<Kingdom>/<class id>/<hash>.jpg
# The 24,426-image val list (3/class) is the evaluation set of the literature: val and test both
# use it, with the training class counts from the train list.
# Batch: 64 per GPU x 4 GPUs = 256 (tools/dist_train.sh CONFIG 4).
dataset_type = 'INaturalist2018'
data_root = 'data/inat2018'
train_ann_file = 'iNaturalist18_train.txt'

data_preprocessor = dict(
    num_classes=8142,
    # iNaturalist 2018 RGB statistics: mean (0.466, 0.471, 0.380), std (0.195, 0.194, 0.192).
    mean=[118.83, 120.105, 96.9],
    std=[49.725, 49.47, 48.96],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=train_ann_file,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='iNaturalist18_val.txt',
        train_ann_file=train_ann_file,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = [dict(type='ShotAccuracy')]

test_dataloader = val_dataloader
test_evaluator = val_evaluator
