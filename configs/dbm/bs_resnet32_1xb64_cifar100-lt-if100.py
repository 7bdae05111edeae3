# Balanced Softmax baseline of the DBM paper (Ren et al., Balanced Meta-Softmax for Long-Tailed
# Visual Recognition, NeurIPS 2020, https://arxiv.org/abs/2007.10740): linear classifier, CE on
# logits + log(n_c / sum n); test-time logits unchanged.
# ResNet-32, CIFAR-100-LT IF100, the DBM paper's CIFAR recipe, inherited from
# ce_resnet32_1xb64_cifar100-lt-if100.py (only the loss differs).
# DBM paper Table 2 (best-epoch test top-1): IF100 49.35, IF50 54.79, IF10 63.93 (IF200 not
# reported).
#   python tools/train.py configs/dbm/bs_resnet32_1xb64_cifar100-lt-if100.py
# The -if10/-if50/-if200 configs inherit this one and only change the imbalance factor.
_base_ = './ce_resnet32_1xb64_cifar100-lt-if100.py'
model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
