# ImageNet-LT (Liu et al., Large-Scale Long-Tailed Recognition in an Open World, CVPR 2019,
# https://arxiv.org/abs/1904.05160; Decoupling/OLTR lists): 1000 classes, 115,846 training images
# (1280 ... 5 per class). Layout (lists from the OLTR / classifier-balancing release):
#   data/imagenet/ImageNet_LT_{train,val,test}.txt
#   data/imagenet/train/nXXXXXXXX/*.JPEG      (train and val lists point here)
#   data/imagenet/val/nXXXXXXXX/ILSVRC2012_val_*.JPEG   (test list: ILSVRC2012 val in class folders)
# val = ImageNet_LT_val.txt (20/class, for model selection); test = ImageNet_LT_test.txt
# (50/class, the numbers to report). Both carry the training class counts (train_ann_file).
# Batch: 64 per GPU x 4 GPUs = 256 (tools/dist_train.sh CONFIG 4); the schedule's lr assumes 256.
dataset_type = 'ImageNetLT'
data_root = 'data/imagenet'
train_ann_file = 'ImageNet_LT_train.txt'

data_preprocessor = dict(
    num_classes=1000,
    # ImageNet RGB statistics (0-255); LoadImageFromFile gives BGR.
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
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
        ann_file='ImageNet_LT_val.txt',
        train_ann_file=train_ann_file,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = [dict(type='ShotAccuracy')]

test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageNet_LT_test.txt',
        train_ann_file=train_ann_file,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = [dict(type='ShotAccuracy')]
