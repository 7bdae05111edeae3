# AutoAugment's CIFAR-10 policy (Cubuk et al., AutoAugment: Learning Augmentation Policies from
# Data, CVPR 2019, https://arxiv.org/abs/1805.09501, Table 7 of the arXiv version): 25 sub-policies
# of two ops, one drawn uniformly per image; each op fires with its own probability. Written for
# MMPretrain's transforms exactly as the `CIFAR10Policy` in the DBM code (`cifar/aug/autoaug.py`,
# itself DeepVoltaire's PyTorch port), whose magnitude index i in 0..9 maps to:
#   Shear / Translate / Rotate: 0.3*i/9 / (150/331)*i/9 of the image side / 30*i/9 degrees;
#   Color / Contrast / Sharpness / Brightness: enhance factor 1 ± 0.9*i/9 (random sign);
#   Posterize: round(8 - 4*i/9) bits; Solarize: threshold 256 - 256*i/9.
# Shear / Translate / Color / Contrast / Sharpness / Brightness get a random sign (MMPretrain's
# default random_negative_prob=0.5, as `random.choice([-1, 1])` there). Rotate does NOT: the DBM
# code rotates counter-clockwise only (PIL `img.rotate(+angle)`); MMPretrain's positive angle is
# clockwise, hence the negative angles with random_negative_prob=0. Fill colour 128 (hparams
# pad_val of AutoAugment); Shear bicubic, Translate/Rotate nearest, as PIL there.
# Differences that remain are MMCV's versus PIL's op implementations (see
# mmltr/engine/fast_path/photometric.py's docstring), e.g. Color/Contrast use cv2's BGR->gray.
autoaug_cifar10_policies = [
    [dict(type='Invert', prob=0.1),
     dict(type='Contrast', magnitude=0.9 / 9 * 6, prob=0.2)],
    [dict(type='Rotate', angle=-30 / 9 * 2, random_negative_prob=0.0, prob=0.7),
     dict(type='Translate', magnitude=150 / 331, direction='horizontal', prob=0.3)],
    [dict(type='Sharpness', magnitude=0.9 / 9 * 1, prob=0.8),
     dict(type='Sharpness', magnitude=0.9 / 9 * 3, prob=0.9)],
    [dict(type='Shear', magnitude=0.3 / 9 * 8, direction='vertical', prob=0.5),
     dict(type='Translate', magnitude=150 / 331, direction='vertical', prob=0.7)],
    [dict(type='AutoContrast', prob=0.5),
     dict(type='Equalize', prob=0.9)],
    [dict(type='Shear', magnitude=0.3 / 9 * 7, direction='vertical', prob=0.2),
     dict(type='Posterize', bits=5, prob=0.3)],
    [dict(type='ColorTransform', magnitude=0.9 / 9 * 3, prob=0.4),
     dict(type='Brightness', magnitude=0.9 / 9 * 7, prob=0.6)],
    [dict(type='Sharpness', magnitude=0.9, prob=0.3),
     dict(type='Brightness', magnitude=0.9, prob=0.7)],
    [dict(type='Equalize', prob=0.6),
     dict(type='Equalize', prob=0.5)],
    [dict(type='Contrast', magnitude=0.9 / 9 * 7, prob=0.6),
     dict(type='Sharpness', magnitude=0.9 / 9 * 5, prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.9 / 9 * 7, prob=0.7),
     dict(type='Translate', magnitude=150 / 331 / 9 * 8, direction='horizontal', prob=0.5)],
    [dict(type='Equalize', prob=0.3),
     dict(type='AutoContrast', prob=0.4)],
    [dict(type='Translate', magnitude=150 / 331 / 9 * 3, direction='vertical', prob=0.4),
     dict(type='Sharpness', magnitude=0.9 / 9 * 6, prob=0.2)],
    [dict(type='Brightness', magnitude=0.9 / 9 * 6, prob=0.9),
     dict(type='ColorTransform', magnitude=0.9 / 9 * 8, prob=0.2)],
    [dict(type='Solarize', thr=256 - 256 / 9 * 2, prob=0.5),
     dict(type='Invert', prob=0.0)],
    [dict(type='Equalize', prob=0.2),
     dict(type='AutoContrast', prob=0.6)],
    [dict(type='Equalize', prob=0.2),
     dict(type='Equalize', prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.9, prob=0.9),
     dict(type='Equalize', prob=0.6)],
    [dict(type='AutoContrast', prob=0.8),
     dict(type='Solarize', thr=256 - 256 / 9 * 8, prob=0.2)],
    [dict(type='Brightness', magnitude=0.9 / 9 * 3, prob=0.1),
     dict(type='ColorTransform', magnitude=0.0, prob=0.7)],
    [dict(type='Solarize', thr=256 - 256 / 9 * 5, prob=0.4),
     dict(type='AutoContrast', prob=0.9)],
    [dict(type='Translate', magnitude=150 / 331, direction='vertical', prob=0.9),
     dict(type='Translate', magnitude=150 / 331, direction='vertical', prob=0.7)],
    [dict(type='AutoContrast', prob=0.9),
     dict(type='Solarize', thr=256 - 256 / 9 * 3, prob=0.8)],
    [dict(type='Equalize', prob=0.8),
     dict(type='Invert', prob=0.1)],
    [dict(type='Translate', magnitude=150 / 331, direction='vertical', prob=0.7),
     dict(type='AutoContrast', prob=0.9)],
]

# The DBM paper's CIFAR training view (the CUDA-LTR / BCL recipe), shared by the *_lt_autoaug.py
# bases and BCL's classification view: RandomCrop 32 pad 4 + horizontal flip + this AutoAugment
# (fill 128) + Cutout (one 16 px hole: DeVriesCutout, see ../cifar10_lt_autoaug.py).
cifar_autoaug_view = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='AutoAugment',
        policies=autoaug_cifar10_policies,
        hparams=dict(pad_val=(128, 128, 128))),
    dict(type='DeVriesCutout', length=16, n_holes=1, pad_val=0),
]
cifar_autoaug_train_pipeline = [*cifar_autoaug_view, dict(type='PackInputs')]
