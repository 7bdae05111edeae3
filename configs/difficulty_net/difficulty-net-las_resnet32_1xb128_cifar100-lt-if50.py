# Difficulty-Net stage 2 (label-aware smoothing), ResNet-32, CIFAR-100-LT IF50: the IF100 stage-2
# config with another imbalance factor (train, val and test datasets) and its smoothing pair
# (eps_head, eps_tail) = (0.3, 0.0).
_base_ = './difficulty-net-las_resnet32_1xb128_cifar100-lt-if100.py'
model = dict(head=dict(loss=dict(eps_head=0.3, eps_tail=0.0)))
train_dataloader = dict(dataset=dict(imbalance_factor=50))
val_dataloader = dict(dataset=dict(imbalance_factor=50))
test_dataloader = dict(dataset=dict(imbalance_factor=50))
load_from = 'work_dirs/difficulty-net-driver-only_resnet32_1xb128_cifar100-lt-if50/epoch_200.pth'
