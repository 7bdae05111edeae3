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
