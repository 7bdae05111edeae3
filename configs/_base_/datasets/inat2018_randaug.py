# iNaturalist 2018 with the DBM large-scale training augmentation (BCL's CE view,
# `large_scale/main.py`):
# RandomResizedCrop 224 + horizontal flip + ColorJitter(0.4, 0.4, 0.4, 0) (always) +
# RandAugment rand-n2-m10-mstd0.5 (timm's non-increasing op list, fill = ImageNet mean).
# Evaluation: the inat2018.py test pipeline (Resize 256 -> CenterCrop 224); normalisation: its iNat
# statistics. The RandAugment fill is the ImageNet mean, as in the DBM code.
_base_ = ['./inat2018.py', './pipelines/randaugment_timm_rand.py']

train_pipeline = {{_base_.randaug_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

