# BCL, ResNet-32, CIFAR-100-LT IF10: the IF100 config with another imbalance factor (set on the
# train, val and test datasets alike; LongTailLossHook checks it).
_base_ = './bcl_resnet32_1xb256_cifar100-lt-if100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
val_dataloader = dict(dataset=dict(imbalance_factor=10))
test_dataloader = dict(dataset=dict(imbalance_factor=10))
