# DBM-BCL (Son et al., Difficulty-aware Balancing Margin Loss for Long-tailed Recognition,
# AAAI 2025, https://arxiv.org/abs/2412.15477): BCL whose classification branch uses the DBM
# logits (class + instance margins on the raw cosines, s=32, K=0.1, tau=1, lambda_inst=1) with the
# log prior added (DBM-BS); the contrastive branch and everything else are BCL's.
# ResNet-32, CIFAR-100-LT IF100, the DBM code's BCL recipe, inherited from
# ../bcl/bcl_resnet32_1xb256_cifar100-lt-if100.py (only the classification loss differs): batch 256,
# SGD lr 0.15, wd 5e-4, 200 epochs, warm-up 5 + cosine, 3 views per image.
# DBM paper Table 2 (best-epoch test top-1): IF100 51.66, IF50 55.98, IF10 65.25.
#   python tools/train.py configs/dbm/dbm-bcl_resnet32_1xb256_cifar100-lt-if100.py
# The -if10/-if50 configs inherit this one and only change the imbalance factor.
_base_ = '../bcl/bcl_resnet32_1xb256_cifar100-lt-if100.py'
model = dict(head=dict(classifier=dict(loss=dict(_delete_=True, type='DBMLoss', base='bs',
                                                 scale=32.0))))
