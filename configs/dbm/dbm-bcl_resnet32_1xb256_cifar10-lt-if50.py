# DBM-BCL, ResNet-32, CIFAR-10-LT IF50: the IF100 config with another imbalance factor (set on the
# train, val and test datasets alike; LongTailLossHook checks it).
_base_ = './dbm-bcl_resnet32_1xb256_cifar10-lt-if100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=50))
val_dataloader = dict(dataset=dict(imbalance_factor=50))
test_dataloader = dict(dataset=dict(imbalance_factor=50))
