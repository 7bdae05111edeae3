# GHM-CWAP (Zhang et al., Solving the Long-Tailed Problem via Intra- and Inter-Category Balance,
# ICASSP 2022, https://arxiv.org/abs/2204.09234), ResNet-32, CIFAR-100-LT IF100 (GHMCWAPLoss's
# defaults): bins 30, alpha 0.9, gamma 0.8, adaptive unit regions, intra- and inter-category
# balance. LDAM-DRW CIFAR recipe as in the paper's Table 1: batch 128, SGD lr 0.1 (momentum 0.9, wd
# 2e-4), 200 epochs, 5-epoch warm-up, lr x0.01 at epochs 160 and 180 (x0.0001 from 180), RandomCrop
# 32 pad 4 + horizontal flip only (schedule: configs/_base_/schedules/cifar_lt_200e_step.py).
# GHM-CWAP paper Table 1 (top-1): IF500 33.85, IF100 41.59, IF10 57.81, IF1 71.41.
#   python tools/train.py configs/ghm_cwap/ghm-cwap_resnet32_1xb128_cifar100-lt-if100.py
# The loss's epoch boundary (region/weight update) is driven by LongTailLossHook (default_runtime).
# Other imbalance factors: the -if500/-if10/-if1 configs inherit this one; an imbalance factor must
# be set on the train, val and test datasets alike (LongTailLossHook checks it).
# The loss: configs/_base_/models/resnet32_cifar_ghm-cwap.py; the data (IF100, LDAM's crop + flip
# augmentation): configs/_base_/datasets/cifar100_lt.py.
_base_ = [
    '../_base_/models/resnet32_cifar_ghm-cwap.py',
    '../_base_/datasets/cifar100_lt.py',
    '../_base_/schedules/cifar_lt_200e_step.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=100, loss=dict(num_classes=100)))
train_dataloader = dict(batch_size=128)
