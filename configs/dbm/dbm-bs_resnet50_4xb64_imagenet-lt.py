# DBM-BS, ResNet-50 from scratch, ImageNet-LT: cosine classifier + difficulty-aware balancing
# margin (s=30, K=0.1, tau=1, lambda_inst=1) + Balanced Softmax, with the DBM large-scale code's
# recipe: 90 epochs, total batch 256, SGD lr 0.1 (momentum 0.9, wd 5e-4), its cosine schedule;
# RandomResizedCrop 224 + flip + ColorJitter(0.4, 0.4, 0.4) + RandAugment rand-n2-m10-mstd0.5;
# test Resize 256 + crop 224. (The paper's ImageNet-LT result is DBM-BCL, resnet50_imagenet-lt.py
# here; it reports DBM only on top of BCL / GML there, R50: DBM-BCL 56.3, DBM-GML 57.4; its BS
# baseline, from CMO, is 50.9.)
#   bash tools/dist_train.sh configs/dbm/dbm-bs_resnet50_4xb64_imagenet-lt.py 4  # 4 GPUs x 64
# The lr is for a total batch of 256 (auto_scale_lr.base_batch_size=256): with another number of
# GPUs add --auto-scale-lr (linear scaling).
# Other backbones: inherit this file and replace `model.backbone`
# (dbm-bs_resnext50-32x4d_4xb64_imagenet-lt.py).
_base_ = [
    '../_base_/models/resnet50_cosine.py',
    '../_base_/datasets/imagenet_lt_randaug.py',
    '../_base_/schedules/imagenet_lt_90e_dbm-cos.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=1000, loss=dict(scale=30.0, base='bs')))
