# Cross-entropy baseline, ResNet-32, CIFAR-10-LT IF100 (crop + flip), 200 epochs, batch 64.
# Other imbalance factors: the dbm/ and ghm_cwap/ folders have IF 10/50/100/200 variants; the
# factor must be set on the train, val and test datasets alike (LongTailLossHook checks it).
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar10_lt.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]
