# iNaturalist 2018 (inat2018.py) with BCL's three views of each training image
# (pipelines/bcl_contrastive_views.py; the released BCL code's "sim-sim" setting, also the DBM
# code's): the classification view of inat2018_randaug.py (RandomResizedCrop 224 + flip +
# ColorJitter + RandAugment rand-n2-m10-mstd0.5) and two contrastive views (RandomResizedCrop 224,
# flip, colour jitter, grayscale). MultiViewClsDataPreprocessor normalises each view and hands the
# model a list of 3 batches (BCLClassifier). Evaluation: inat2018.py's single view (Resize 256
# -> CenterCrop 224).
_base_ = ['./inat2018.py', './pipelines/bcl_contrastive_views.py']
data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
train_pipeline = {{_base_.bcl_imagenet_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
