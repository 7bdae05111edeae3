# GHM-CWAP, ResNet-32, CIFAR-10-LT IF10: as the IF100 config (paper Table 1 grid).
_base_ = './ghm-cwap_resnet32_1xb128_cifar10-lt-if100.py'
imbalance_factor = 10
train_dataloader = dict(dataset=dict(imbalance_factor=imbalance_factor))
val_dataloader = dict(dataset=dict(imbalance_factor=imbalance_factor))
test_dataloader = dict(dataset=dict(imbalance_factor=imbalance_factor))
