# DBM-BCL, ResNet-50 from scratch, ImageNet-LT: the paper's ImageNet-LT setting (Son et al.,
# Difficulty-aware Balancing Margin Loss for Long-tailed Recognition, AAAI 2025,
# https://arxiv.org/abs/2412.15477). BCL whose classification branch uses the DBM logits (s=30,
# K=0.1, tau=1, lambda_inst=1) with the log prior (DBM-BS), as the DBM large-scale code: cosine
# classifier, balanced contrastive loss with temperature 0.1, loss 2.0 x CE + 0.6 x BCL,
# projection MLP 2048-2048-1024; 90 epochs, total batch 256, SGD lr 0.1 (momentum 0.9, wd 5e-4),
# the DBM cosine schedule; 3 views per image: RandomResizedCrop 224 + flip + ColorJitter +
# RandAugment rand-n2-m10-mstd0.5 for the classifier, 2 x (RandomResizedCrop, flip, colour jitter,
# grayscale) for the contrastive loss; test Resize 256 + crop 224.
# DBM paper Table 3 (test top-1): 56.3.
#   bash tools/dist_train.sh configs/dbm/resnet50_imagenet-lt.py 4      # 4 GPUs x 64 = 256
#   python tools/train.py configs/dbm/resnet50_imagenet-lt.py --auto-scale-lr   # 1 GPU x 64
# The lr is for a total batch of 256 (auto_scale_lr.base_batch_size=256): with another number of
# GPUs add --auto-scale-lr (linear scaling). DBM-BS without BCL:
# dbm-bs_resnet50_4xb64_imagenet-lt.py. Other backbones: inherit this file and replace
# `model.backbone` (resnext50-32x4d_imagenet-lt.py).
_base_ = [
    '../_base_/models/resnet50_bcl.py',
    '../_base_/datasets/imagenet_lt_bcl.py',
    '../_base_/schedules/imagenet_lt_90e_dbm-cos.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(classifier=dict(loss=dict(_delete_=True, type='DBMLoss', base='bs',
                                                 scale=30.0))))
