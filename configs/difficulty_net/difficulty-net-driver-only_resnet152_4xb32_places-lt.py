# Difficulty-Net as the authors' released code trains it (meta_gradient='driver_only': the
# released ImageNet/Places code detaches the class weights, so only 0.3 x the driver loss trains
# Difficulty-Net), ResNet-152, Places-LT; the published two-stage number comes from this variant
# (stage 2: difficulty-net-las_resnet152_4xb64_places-lt.py).
_base_ = './difficulty-net_resnet152_4xb32_places-lt.py'
model = dict(meta_gradient='driver_only')
