# BCL (Zhu et al., Balanced Contrastive Learning for Long-Tailed Visual Recognition, CVPR 2022,
# https://arxiv.org/abs/2207.09052): logit-adjusted cross-entropy on a cosine classifier (scale 32)
# + balanced supervised contrastive loss (class-averaging, class-complement; temperature 0.1),
# loss 2.0 x CE + 0.6 x BCL (../_base_/models/resnet32_cifar_bcl.py).
# ResNet-32, CIFAR-10-LT IF100, the BCL recipe of the DBM paper and code (the DBM authors re-ran
# BCL for their Table 2; the released BCL code has no CIFAR part): batch 256 on 1 GPU (the paper's;
# the DBM README's command leaves the code's default 64), SGD lr 0.15 (momentum 0.9, wd 5e-4), 200
# epochs, 5-epoch linear warm-up then cosine; 3 views per image: RandomCrop 32 pad 4 + flip +
# AutoAugment + Cutout for the classifier, 2 SimCLR-style views (RandomResizedCrop 0.2-1, flip,
# colour jitter, grayscale, blur) for the contrastive loss.
# DBM paper Table 2 (BCL, best-epoch test top-1): IF100 82.95, IF50 86.76, IF10 91.57.
#   python tools/train.py configs/bcl/bcl_resnet32_1xb256_cifar10-lt-if100.py
# The -if10/-if50 configs inherit this one and only change the imbalance factor; DBM-BCL
# (configs/dbm/dbm-bcl_resnet32_1xb256_cifar10-lt-if*.py) inherits it and only changes the loss.
_base_ = [
    '../_base_/models/resnet32_cifar_bcl.py',
    '../_base_/datasets/cifar10_lt_bcl.py',
    '../_base_/schedules/cifar_lt_200e_bcl.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
