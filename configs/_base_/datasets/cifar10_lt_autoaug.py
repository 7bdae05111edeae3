# CIFAR-10-LT with the DBM paper's CIFAR training augmentation (the CUDA-LTR / BCL recipe):
# RandomCrop 32 pad 4 + horizontal flip + AutoAugment (CIFAR-10 policy) + Cutout (1 hole, 16 px),
# normalised with mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010).
# The imbalance factor is set by cifar10_lt.py on the train, val and test datasets.
# DeVriesCutout (mmltr) is the Cutout of these recipes (DeVries & Taylor): one 16x16 hole with an
# integer centre uniform over the image, clipped at every border, black (the reference zeroes the
# [0, 1] tensor before Normalize). MMPretrain's `Cutout` fires with prob 0.5 by default and shifts
# border holes inside instead of clipping them at the top/left.
_base_ = ['./cifar10_lt.py', './pipelines/autoaugment_cifar10_policy.py']

data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],  # (0.4914, 0.4822, 0.4465) x 255, RGB
    std=[51.5865, 50.847, 51.255],  # (0.2023, 0.1994, 0.2010) x 255
    to_rgb=False,  # CIFAR pickles are decoded to RGB arrays
)

train_pipeline = {{_base_.cifar_autoaug_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
