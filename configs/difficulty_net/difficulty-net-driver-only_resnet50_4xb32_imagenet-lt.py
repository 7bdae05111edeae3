# Difficulty-Net as the authors' released code trains it (meta_gradient='driver_only': the
# released ImageNet/Places code detaches the class weights too, so only 0.3 x the driver loss
# trains Difficulty-Net), ResNet-50, ImageNet-LT; the published two-stage numbers come from
# this variant (stage 2: difficulty-net-las_resnet50_4xb32_imagenet-lt.py).
_base_ = './difficulty-net_resnet50_4xb32_imagenet-lt.py'
model = dict(meta_gradient='driver_only')
