# RandAugment "rand-n2-m10-mstd0.5" of timm / PaCo / BCL (used by the DBM large-scale code for the
# CE branch), written with MMPretrain's RandAugment ops. timm's default op list is the
# NON-increasing `_RAND_TRANSFORMS` (MMPretrain only ships the *increasing* variants), where at
# level l in [0, 10]:
#   Rotate 30*l/10 deg, ShearX/Y 0.3*l/10, TranslateX/YRel 0.45*l/10 of the side (random sign);
#   Posterize int(4*l/10) bits; Solarize threshold int(256*l/10); SolarizeAdd int(110*l/10);
#   Color/Contrast/Brightness/Sharpness enhance factor 0.1 + 1.8*l/10 (no random sign; MMPretrain's
#   factor is 1 + magnitude, hence magnitude_range (-0.9, 0.9) with random_negative_prob=0).
# Every op fires with prob 0.5 (timm's default); l ~ N(10, 0.5) per op, clipped to [0, 10] by
# MMPretrain (some timm versions do not clip). MMPretrain's Posterize rounds bits up (ceil) where
# timm truncates. Set RandAugment(hparams=dict(pad_val=..., interpolation='bicubic')) per dataset.
randaug_timm_rand_policies = [
    dict(type='AutoContrast'),
    dict(type='Equalize'),
    dict(type='Invert'),
    dict(type='Rotate', magnitude_range=(0, 30)),
    dict(type='Posterize', magnitude_range=(0, 4)),
    dict(type='Solarize', magnitude_range=(0, 256)),
    dict(type='SolarizeAdd', magnitude_range=(0, 110)),
    dict(type='ColorTransform', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Contrast', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Brightness', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Sharpness', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='horizontal'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
]

# The DBM large-scale training view (BCL's classification view, `large_scale/main.py`), shared by
# the ImageNet-LT / iNat *_randaug.py bases and BCL's classification view: RandomResizedCrop 224 +
# horizontal flip + ColorJitter(0.4, 0.4, 0.4, 0) (always) + this RandAugment with n=2, m=10,
# mstd=0.5, fill = the ImageNet mean (also on iNat, as in the DBM code).
randaug_view = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.0),
    dict(
        type='RandAugment',
        policies=randaug_timm_rand_policies,
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        # timm's img_mean = round(255 * ImageNet RGB mean), in the BGR order of LoadImageFromFile
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
]
randaug_train_pipeline = [dict(type='LoadImageFromFile'), *randaug_view, dict(type='PackInputs')]
