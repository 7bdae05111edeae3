# CIFAR-10-LT (cifar10_lt.py) with BCL's three views of each training image, the DBM code's BCL
# recipe (pipelines/bcl_contrastive_views.py): the classification view of cifar10_lt_autoaug.py
# (RandomCrop 32 pad 4 + flip + AutoAugment + Cutout 16 px) and two contrastive views
# (RandomResizedCrop 0.2-1, flip, colour jitter, grayscale, blur). MultiViewClsDataPreprocessor
# normalises each view and hands the model a list of 3 batches (BCLClassifier). Batch 256 on 1 GPU
# (the DBM paper's BCL batch). Evaluation: cifar10_lt.py's single view.
_base_ = ['./cifar10_lt.py', './pipelines/bcl_contrastive_views.py']
data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
train_pipeline = {{_base_.bcl_cifar_train_pipeline}}
train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))
