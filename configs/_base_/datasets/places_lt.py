# Places-LT (Liu et al., Large-Scale Long-Tailed Recognition in an Open World, CVPR 2019,
# https://arxiv.org/abs/1904.05160; OLTR lists): 365 classes, 62,500 training images
# (4,980 ... 5 per class). Layout (lists from the OLTR / classifier-balancing release):
#   data/places365/Places_LT_{train,val,test}.txt
#   data/places365/<paths of the lists>, e.g. train/<scene>/<file>.jpg (Places365-Standard)
# val = Places_LT_val.txt (20/class, for model selection); test = Places_LT_test.txt
# (100/class, the numbers to report). Both carry the training class counts (train_ann_file).
# Batch: 64 per GPU x 4 GPUs = 256 (tools/dist_train.sh CONFIG 4); the schedule's lr assumes 256.
dataset_type = 'PlacesLT'
data_root = 'data/places365'
train_ann_file = 'Places_LT_train.txt'

data_preprocessor = dict(
    num_classes=365,
    # ImageNet RGB statistics (0-255, the Places-LT convention); LoadImageFromFile gives BGR.
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
        ann_file='Places_LT_val.txt',
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
        ann_file='Places_LT_test.txt',
        train_ann_file=train_ann_file,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = [dict(type='ShotAccuracy')]
