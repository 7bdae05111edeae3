# iNaturalist 2018 with the DBM large-scale training augmentation (BCL's CE view,
# `large_scale/main.py`):
# RandomResizedCrop 224 + horizontal flip + ColorJitter(0.4, 0.4, 0.4, 0) (always) +
# RandAugment rand-n2-m10-mstd0.5 (timm's non-increasing op list, fill = ImageNet mean).
# Evaluation: the inat2018.py test pipeline (Resize 256 -> CenterCrop 224); normalisation: its iNat
# statistics. The RandAugment fill is the ImageNet mean, as in the DBM code.
_base_ = ['./inat2018.py', './pipelines/randaugment_timm_rand.py']

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.0),
    dict(
        type='RandAugment',
        policies={{_base_.randaug_timm_rand_policies}},
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        # timm's img_mean = round(255 * ImageNet RGB mean), in the BGR order of LoadImageFromFile
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

