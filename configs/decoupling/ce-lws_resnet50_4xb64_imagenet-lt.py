# LWS (Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition,
# ICLR 2020, https://arxiv.org/abs/1910.09217) on the CE baseline, ResNet-50, ImageNet-LT: the
# stage-1 classifier is kept and only one logit scale per class is learnt; the rest as the cRT
# config.
#   bash tools/dist_train.sh configs/decoupling/ce-lws_resnet50_4xb64_imagenet-lt.py 4
_base_ = './ce-crt_resnet50_4xb64_imagenet-lt.py'
model = dict(head=dict(type='DecoupledClsHead', scales=True, train_weights=False))
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
