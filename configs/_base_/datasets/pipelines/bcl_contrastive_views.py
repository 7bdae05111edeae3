# BCL's training views: one classification view and two contrastive views of each image, made by
# MMPretrain's MultiView (num_views=[1, 2]; view 0 first) before PackInputs, in
#   bcl_cifar_train_pipeline: view 0 = autoaugment_cifar10_policy.py's cifar_autoaug_view (the DBM
#     code's BCL on CIFAR-LT), views 1-2 = bcl_cifar_view; bcl_cifar_jpeg_train_pipeline: the same
#     on the JPEG copy of CIFAR-10 (decoded to BGR: bcl_cifar_jpeg_view's grayscale weights);
#   bcl_imagenet_train_pipeline: view 0 = randaugment_timm_rand.py's randaug_view (the released
#     BCL code's "sim-sim" setting on ImageNet-LT / iNat, also the DBM code's), views 1-2 =
#     bcl_imagenet_view.
# The contrastive views (the SimCLR / MoCo v2 augmentation of the released BCL code and of the DBM
# code's BCL), written with MMPretrain's transforms as its SimCLR configs do:
#   bcl_cifar_view: RandomResizedCrop 32 (area 0.2-1) + horizontal flip + ColorJitter(0.4, 0.4,
#     0.4, 0.1) with prob 0.8 + grayscale with prob 0.2 + Gaussian blur (sigma uniform in
#     [0.1, 2], PIL's GaussianBlur as MoCo's) with prob 0.5;
#   bcl_imagenet_view: RandomResizedCrop 224 (area 0.08-1) + the same flip, colour jitter and
#     grayscale, no blur (the released code's "sim" views, ImageNet-LT and iNaturalist 2018).
# Crops resized with PIL (bilinear) as torchvision does. Grayscale: PIL's luma 0.299 R + 0.587 G +
# 0.114 B, 3 channels kept, with the weights in the image's channel order (RGB arrays from the
# CIFAR pickles, BGR from LoadImageFromFile). MMPretrain's colour-jitter ops read the image as BGR,
# so on the RGB CIFAR arrays the hue rotates the other way (the same distribution) and contrast /
# saturation take their grey level with R and B weights swapped (a small difference from
# torchvision's ColorJitter).
_base_ = ['./autoaugment_cifar10_policy.py', './randaugment_timm_rand.py']

bcl_flip_and_jitter = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
]
bcl_gray_rgb = dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
                    channel_weights=(0.299, 0.587, 0.114))
bcl_gray_bgr = dict(bcl_gray_rgb, channel_weights=(0.114, 0.587, 0.299))
bcl_cifar_crop = dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0),
                      backend='pillow')
bcl_blur = dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5)
bcl_cifar_view = [bcl_cifar_crop, *bcl_flip_and_jitter, bcl_gray_rgb, bcl_blur]
bcl_cifar_jpeg_view = [bcl_cifar_crop, *bcl_flip_and_jitter, bcl_gray_bgr, bcl_blur]  # BGR files
bcl_imagenet_view = [
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    *bcl_flip_and_jitter,
    bcl_gray_bgr,
]
bcl_cifar_train_pipeline = [
    dict(type='MultiView', num_views=[1, 2],
         transforms=[{{_base_.cifar_autoaug_view}}, bcl_cifar_view]),
    dict(type='PackInputs'),
]
bcl_cifar_jpeg_train_pipeline = [  # the JPEG copy of CIFAR-10 (cifar10_lt_jpeg_bcl.py)
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 2],
         transforms=[{{_base_.cifar_autoaug_view}}, bcl_cifar_jpeg_view]),
    dict(type='PackInputs'),
]
bcl_imagenet_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 2],
         transforms=[{{_base_.randaug_view}}, bcl_imagenet_view]),
    dict(type='PackInputs'),
]
