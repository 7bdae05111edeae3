# cRT (Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition,
# ICLR 2020, https://arxiv.org/abs/1910.09217) on the CE baseline, ResNet-152, Places-LT:
#   bash tools/dist_train.sh configs/baselines/ce_resnet152_4xb64_places-lt.py 4        # stage 1
#   bash tools/dist_train.sh configs/decoupling/ce-crt_resnet152_4xb64_places-lt.py 4
# The frozen backbone of the stage-1 checkpoint (no ImageNet download: the weights come from
# load_from), a re-initialised linear classifier trained with cross-entropy on class-balanced
# batches, 10 epochs, lr 0.1 cosine, wd 5e-4, total batch 256. Places-LT has a validation split
# (Places_LT_val.txt) for tools/analysis/tau_norm.py.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/places_lt.py',
    '../_base_/schedules/imagenet_lt_stage2_10e.py',
    '../_base_/stage2_runtime.py',
]
model = dict(backbone=dict(depth=152), head=dict(num_classes=365))
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler', num_samples_cls=1))
load_from = 'work_dirs/ce_resnet152_4xb64_places-lt/epoch_30.pth'
