# BCL (Zhu et al., Balanced Contrastive Learning for Long-Tailed Visual Recognition, CVPR 2022,
# https://arxiv.org/abs/2207.09052), ResNet-50 from scratch, ImageNet-LT, the released BCL code's
# recipe (README command, "sim-sim" views): cosine classifier (scale 30) with the logit-adjusted
# cross-entropy + balanced contrastive loss with its defaults temperature 0.07 and weights
# 1.0 x CE + 0.35 x BCL; 90 epochs, total batch 256, SGD lr 0.1 (momentum 0.9, wd 5e-4), cosine
# without warm-up. Its schedule sets lr * 0.5 * (1 + cos(pi * (e + 1) / (E + 1))) at the 0-based
# epoch e; MMEngine's cosine starts at the full lr, so here epoch e gets the code's value of e - 1
# (one epoch later on the same curve). Views: RandomResizedCrop 224 + flip + ColorJitter +
# RandAugment for the classifier, 2 x (RandomResizedCrop, flip, colour jitter, grayscale) for the
# contrastive loss. (The DBM code's BCL, used for DBM-BCL in configs/dbm/, has temperature 0.1,
# weights 2.0 / 0.6 and the DBM cosine schedule.)
# DBM paper Table 3 (BCL, test top-1): 56.0.
#   bash tools/dist_train.sh configs/bcl/bcl_resnet50_4xb64_imagenet-lt.py 4   # 4 GPUs x 64
#   python tools/train.py configs/bcl/bcl_resnet50_4xb64_imagenet-lt.py --auto-scale-lr  # 1 GPU
_base_ = [
    '../_base_/models/resnet50_bcl.py',
    '../_base_/datasets/imagenet_lt_bcl.py',
    '../_base_/schedules/imagenet_lt_90e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(contrastive_loss=dict(temperature=0.07), ce_weight=1.0, scl_weight=0.35))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=91, eta_min=0.0, by_epoch=True, begin=0, end=90),
]
