# Difficulty-Net as the authors' released code trains it, ResNet-32, CIFAR-100-LT IF10: the
# released code builds the class weights with torch.tensor(...), detached from Difficulty-Net, so
# only 0.3 x the driver loss trains it (the meta cross-entropy gives it zero gradient);
# meta_gradient='driver_only' reproduces that (DifficultyNetClassifier). The published numbers
# (two-stage, with stage 2 = difficulty-net-las_*) come from this variant; the paper's text
# describes the second-order meta gradient of difficulty-net_resnet32_1xb128_cifar100-lt-if10.py.
#   python tools/train.py \
#       configs/difficulty_net/difficulty-net-driver-only_resnet32_1xb128_cifar100-lt-if10.py
_base_ = './difficulty-net_resnet32_1xb128_cifar100-lt-if10.py'
model = dict(meta_gradient='driver_only')
