# BCL on ResNet-50 for 224x224 inputs (ImageNet-LT 1000 classes by default), the released BCL
# code's BCLModel: resnet32_cifar_bcl.py's head on a ResNet-50, with the large-scale sizes:
# projection and prototype MLPs 2048-2048-1024 (BN, ReLU), cosine classifier scale 30 (its
# NormedLinear) with the logit-adjusted cross-entropy on view 0; balanced contrastive loss with the
# DBM code's temperature 0.1 and weights 2.0 x CE + 0.6 x BCL (the released BCL code's defaults are
# 0.07 and 1.0 / 0.35: see configs/bcl/). Needs a *_bcl.py dataset base (MultiView pipeline,
# MultiViewClsDataPreprocessor).
_base_ = './resnet32_cifar_bcl.py'
model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=50, num_stages=4, out_indices=(3, ),
                  style='pytorch'),
    head=dict(num_classes=1000, in_channels=2048, mid_channels=2048, feat_dim=1024,
              classifier=dict(scale=30.0, topk=(1, 5))))
