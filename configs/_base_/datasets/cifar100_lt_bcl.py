# CIFAR-100-LT (cifar100_lt.py) with BCL's three views of each training image, the DBM code's BCL
# recipe (pipelines/bcl_contrastive_views.py): the classification view of cifar100_lt_autoaug.py
# (RandomCrop 32 pad 4 + flip + AutoAugment + Cutout 16 px) and two contrastive views
# (RandomResizedCrop 0.2-1, flip, colour jitter, grayscale, blur), normalised with the CIFAR-10
# statistics as the DBM code does for both datasets. MultiViewClsDataPreprocessor normalises each
# view and hands the model a list of 3 batches (BCLClassifier). Batch 256 on 1 GPU (the DBM paper's
# BCL batch). Evaluation: cifar100_lt.py's single view.
_base_ = ['./cifar100_lt.py', './pipelines/bcl_contrastive_views.py']
data_preprocessor = dict(type='MultiViewClsDataPreprocessor', mean=[125.307, 122.961, 113.8575],
                         std=[51.5865, 50.847, 51.255])  # (0.4914, 0.4822, 0.4465), (0.2023, ...)
train_pipeline = {{_base_.bcl_cifar_train_pipeline}}
train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))
