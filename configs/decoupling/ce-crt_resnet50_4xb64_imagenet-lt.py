# cRT (Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition,
# ICLR 2020, https://arxiv.org/abs/1910.09217) on the CE baseline, ResNet-50, ImageNet-LT:
#   bash tools/dist_train.sh configs/baselines/ce_resnet50_4xb64_imagenet-lt.py 4      # stage 1
#   bash tools/dist_train.sh configs/decoupling/ce-crt_resnet50_4xb64_imagenet-lt.py 4
# The backbone of the stage-1 checkpoint (load_from) is frozen, weights and BatchNorm statistics
# (FreezeHook); the linear classifier is re-initialised and trained with cross-entropy on
# class-balanced batches (ClassAwareSampler), 10 epochs, lr 0.1 cosine, total batch 256
# (configs/_base_/schedules/imagenet_lt_stage2_10e.py); RandomResizedCrop + flip.
# ImageNet-LT has a validation split (ImageNet_LT_val.txt): choose the τ of τ-normalisation on it
# with tools/analysis/tau_norm.py CONFIG CKPT (the stage-1 checkpoint and this config's model).
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_lt.py',
    '../_base_/schedules/imagenet_lt_stage2_10e.py',
    '../_base_/stage2_runtime.py',
]
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler', num_samples_cls=1))
load_from = 'work_dirs/ce_resnet50_4xb64_imagenet-lt/epoch_90.pth'
