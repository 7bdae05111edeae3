# LWS (Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition,
# ICLR 2020, https://arxiv.org/abs/1910.09217) on the CE stage 1, ResNet-32, CIFAR-10-LT IF100:
# the stage-1 classifier is kept (reinit=()) and only one logit scale per class is learnt
# (DecoupledClsHead scales=True, train_weights=False); the rest as the cRT config.
#   python tools/train.py configs/decoupling/ce-lws_resnet32_1xb128_cifar10-lt-if100.py
_base_ = './ce-crt_resnet32_1xb128_cifar10-lt-if100.py'
model = dict(head=dict(type='DecoupledClsHead', scales=True, train_weights=False))
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
