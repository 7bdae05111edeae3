# DBM-CE (Son et al., Difficulty-aware Balancing Margin Loss for Long-tailed Recognition,
# AAAI 2025, https://arxiv.org/abs/2412.15477): cosine classifier, difficulty-aware balancing margin
# (DBMLoss's defaults: s=32, K=0.1, tau=1, lambda_inst=1), with cross-entropy.
# ResNet-32, CIFAR-10-LT IF100, the DBM paper's CIFAR recipe: batch 64, SGD lr 0.1 (momentum 0.9,
# wd 2e-4), 200 epochs, 5-epoch linear warm-up then cosine; RandomCrop 32 pad 4 + flip +
# AutoAugment (CIFAR-10 policy) + Cutout 16 px.
# DBM paper Table 2 (best-epoch test top-1): IF100 80.84, IF50 84.12, IF10 90.95 (IF200 not
# reported).
#   python tools/train.py configs/dbm/dbm-ce_resnet32_1xb64_cifar10-lt-if100.py
# The -if10/-if50/-if200 configs inherit this one and only change the imbalance factor.
# dbm-bs_, dbm-drw_ and ldam-drw_ (same folder) inherit it too and only change the loss.
_base_ = [
    '../_base_/models/resnet32_cifar_cosine.py',
    '../_base_/datasets/cifar10_lt_autoaug.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
train_dataloader = dict(batch_size=64)
