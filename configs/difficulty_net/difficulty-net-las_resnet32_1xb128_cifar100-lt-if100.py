# Difficulty-Net stage 2 (label-aware smoothing), ResNet-32, CIFAR-100-LT IF100: the CIFAR-10-LT
# IF100 stage-2 config (recipe and notes there) on CIFAR-100-LT; (eps_head, eps_tail) = (0.4, 0.1)
# for IF100.
#   python tools/train.py \
#       configs/difficulty_net/difficulty-net-driver-only_resnet32_1xb128_cifar100-lt-if100.py
#   python tools/train.py \
#       configs/difficulty_net/difficulty-net-las_resnet32_1xb128_cifar100-lt-if100.py
# Reported (two-stage, top-1 %): IF10 65.22, IF50 56.90, IF100 52.96 (best test epoch).
# The -if10/-if50/-if200 stage-2 configs inherit this one.
_base_ = './difficulty-net-las_resnet32_1xb128_cifar10-lt-if100.py'

dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
model = dict(head=dict(num_classes=100))
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
load_from = 'work_dirs/difficulty-net-driver-only_resnet32_1xb128_cifar100-lt-if100/epoch_200.pth'
