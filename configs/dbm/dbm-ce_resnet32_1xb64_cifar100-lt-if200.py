# DBM-CE, ResNet-32, CIFAR-100-LT IF200: the IF100 config with another imbalance factor (set on
# the train, val and test datasets alike; LongTailLossHook checks it).
_base_ = './dbm-ce_resnet32_1xb64_cifar100-lt-if100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=200))
val_dataloader = dict(dataset=dict(imbalance_factor=200))
test_dataloader = dict(dataset=dict(imbalance_factor=200))
