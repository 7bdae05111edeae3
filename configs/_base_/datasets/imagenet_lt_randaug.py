# ImageNet-LT with the DBM large-scale training augmentation (BCL's CE view, `large_scale/main.py`):
# RandomResizedCrop 224 + horizontal flip + ColorJitter(0.4, 0.4, 0.4, 0) (always) +
# RandAugment rand-n2-m10-mstd0.5 (timm's non-increasing op list, fill = ImageNet mean).
# Evaluation: the imagenet_lt.py test pipeline (Resize 256 -> CenterCrop 224).
_base_ = ['./imagenet_lt.py', './pipelines/randaugment_timm_rand.py']

train_pipeline = {{_base_.randaug_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
