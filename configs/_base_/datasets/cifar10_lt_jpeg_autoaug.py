# The JPEG copy of CIFAR-10 (data/cifar10-jpeg, see cifar10_lt_jpeg.py) made long-tailed by
# LongTailedDataset (cifar10_lt_jpeg.py), with the DBM paper's CIFAR training augmentation:
# RandomCrop 32 pad 4 + horizontal flip + AutoAugment (CIFAR-10 policy) + Cutout (1 hole, 16 px,
# black, clipped at the borders: DeVriesCutout, see cifar10_lt_autoaug.py), normalised with mean
# (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010). Images are decoded to BGR by
# LoadImageFromFile (as MMCV's colour ops assume) and converted to RGB by the data preprocessor.
_base_ = ['./cifar10_lt_jpeg.py', './pipelines/autoaugment_cifar10_policy.py']

data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],  # (0.4914, 0.4822, 0.4465) x 255, RGB
    std=[51.5865, 50.847, 51.255],  # (0.2023, 0.1994, 0.2010) x 255
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='AutoAugment',
        policies={{_base_.autoaug_cifar10_policies}},
        hparams=dict(pad_val=(128, 128, 128))),
    dict(type='DeVriesCutout', length=16, n_holes=1, pad_val=0),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
