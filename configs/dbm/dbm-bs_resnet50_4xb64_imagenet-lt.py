# DBM-BS, ResNet-50 from scratch, ImageNet-LT: cosine classifier + difficulty-aware balancing
# margin (s=30, K=0.1, tau=1, lambda_inst=1) + Balanced Softmax. Recipe of the DBM large-scale code:
# 90 epochs, total batch 256, SGD lr 0.1 (momentum 0.9, wd 5e-4), cosine; RandomResizedCrop 224 +
# flip + ColorJitter(0.4, 0.4, 0.4) + RandAugment rand-n2-m10-mstd0.5; test Resize 256 + crop 224.
#   bash tools/dist_train.sh configs/dbm/resnet50_imagenet-lt.py 4      # 4 GPUs x 64 = 256
#   python tools/train.py configs/dbm/resnet50_imagenet-lt.py --auto-scale-lr   # 1 GPU x 64
# The lr is for a total batch of 256 (auto_scale_lr.base_batch_size=256): with another number of
# GPUs add --auto-scale-lr (linear scaling). The paper reports DBM on ImageNet-LT only on top of
# BCL / GML (R50: DBM-BCL 56.3, DBM-GML 57.4); its BS baseline (from CMO) is 50.9.
# Other backbones: inherit this file and replace `model.backbone` (resnext50-32x4d_imagenet-lt.py).
_base_ = [
    '../_base_/models/resnet50_cosine.py',
    '../_base_/datasets/imagenet_lt_randaug.py',
    '../_base_/schedules/imagenet_lt_90e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=1000, loss=dict(scale=30.0, base='bs')))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.1, momentum=0.9, weight_decay=5e-4))
# The DBM code's `--cos` schedule, set once per epoch e (0-based):
#   lr * 0.5 * (1 + cos(pi * (e - 4) / (E - 4))),
# i.e. the full lr for epochs 0-4 (within 0.6%: its "warm-up" is only this offset) and a cosine
# that ends at lr * 0.5 * (1 + cos(pi * (E - 5) / (E - 4))) in the last epoch. (The schedule base's
# iteration-wise linear warm-up + cosine is replaced.)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=86, eta_min=0.0, by_epoch=True, begin=4, end=90),
]
train_cfg = dict(max_epochs=90)
