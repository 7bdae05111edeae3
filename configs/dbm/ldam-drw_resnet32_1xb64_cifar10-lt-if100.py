# LDAM-DRW baseline of the DBM paper (Cao et al., Learning Imbalanced Datasets with
# Label-Distribution-Aware Margin Loss, NeurIPS 2019, https://arxiv.org/abs/1906.07413): cosine
# classifier, margins m_c ~ n_c^(-1/4) (max 0.5) subtracted from the target cosine, s=30
# (LDAMLoss's defaults); class-balanced re-weighting (beta 0.9999, the default) from epoch 160.
# ResNet-32, CIFAR-10-LT IF100, the DBM paper's CIFAR recipe, inherited from
# dbm-ce_resnet32_1xb64_cifar10-lt-if100.py (only the loss differs).
# DBM paper Table 2 (best-epoch test top-1): IF100 82.60, IF50 85.36, IF10 91.22 (IF200 not
# reported).
#   python tools/train.py configs/dbm/ldam-drw_resnet32_1xb64_cifar10-lt-if100.py
# The -if10/-if50/-if200 configs inherit this one and only change the imbalance factor.
_base_ = './dbm-ce_resnet32_1xb64_cifar10-lt-if100.py'
model = dict(head=dict(loss=dict(_delete_=True, type='LDAMLoss', drw_epoch=160)))
