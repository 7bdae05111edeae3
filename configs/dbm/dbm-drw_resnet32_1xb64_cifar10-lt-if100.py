# DBM-DRW (Son et al., Difficulty-aware Balancing Margin Loss for Long-tailed Recognition,
# AAAI 2025, https://arxiv.org/abs/2412.15477): cosine classifier, difficulty-aware balancing margin
# (s=32, K=0.1, tau=1, lambda_inst=1), CE re-weighted by class-balanced weights (beta 0.9999)
# from epoch 160 (DBMLoss's drw_epoch and beta defaults).
# ResNet-32, CIFAR-10-LT IF100, the DBM paper's CIFAR recipe, inherited from
# dbm-ce_resnet32_1xb64_cifar10-lt-if100.py (only the loss differs).
# DBM paper Table 2 (best-epoch test top-1): IF100 82.82, IF50 85.83, IF10 91.55 (IF200 not
# reported).
#   python tools/train.py configs/dbm/dbm-drw_resnet32_1xb64_cifar10-lt-if100.py
# The -if10/-if50/-if200 configs inherit this one and only change the imbalance factor.
_base_ = './dbm-ce_resnet32_1xb64_cifar10-lt-if100.py'
model = dict(head=dict(loss=dict(base='drw')))
