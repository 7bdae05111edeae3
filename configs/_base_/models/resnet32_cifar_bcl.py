# BCL (Zhu et al., Balanced Contrastive Learning for Long-Tailed Visual Recognition, CVPR 2022,
# https://arxiv.org/abs/2207.09052) on the LTR-standard ResNet-32, as in the DBM code's CIFAR BCL:
# BCLClassifier runs the 3 views of each image through the backbone in one batch; BCLHead puts
# a cosine classifier (scale 32) with the logit-adjusted cross-entropy (BalancedSoftmaxLoss,
# tau = 1) on view 0, a projection MLP 64-512-128 (BN, ReLU) on all views and the balanced
# contrastive loss (temperature 0.1, class prototypes from an MLP of the same shape on the
# classifier weights) on views 1-2; total loss 2.0 x CE + 0.6 x BCL. Needs a *_lt_bcl.py dataset
# base (MultiView pipeline, MultiViewClsDataPreprocessor).
# DBM-BCL swaps the classification loss: model = dict(head=dict(classifier=dict(loss=dict(
# _delete_=True, type='DBMLoss', base='bs', scale=32.0)))).
_base_ = './resnet32_cifar.py'
model = dict(
    type='BCLClassifier',
    head=dict(
        _delete_=True, type='BCLHead', num_classes=10, in_channels=64, mid_channels=512,
        feat_dim=128,
        classifier=dict(type='CosineClsHead', scale=32.0, loss=dict(type='BalancedSoftmaxLoss')),
        contrastive_loss=dict(type='BalancedSupConLoss', temperature=0.1),
        ce_weight=2.0, scl_weight=0.6))
