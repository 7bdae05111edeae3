# The JPEG copy of CIFAR-10 made long-tailed (cifar10_lt_jpeg.py) with BCL's three views of each
# training image (pipelines/bcl_contrastive_views.py, as cifar10_lt_bcl.py on the pickles): the
# classification view of cifar10_lt_jpeg_autoaug.py and two contrastive views, normalised per view
# by MultiViewClsDataPreprocessor (BGR files, converted to RGB there). Batch 256 on 1 GPU.
_base_ = ['./cifar10_lt_jpeg.py', './pipelines/bcl_contrastive_views.py']
data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
train_dataloader = dict(
    batch_size=256, dataset=dict(dataset=dict(pipeline={{_base_.bcl_cifar_jpeg_train_pipeline}})))
