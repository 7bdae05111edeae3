# Stage 2, learnable weight scaling (LWS; Kang et al., Decoupling Representation and Classifier
# for Long-Tailed Recognition, ICLR 2020, https://arxiv.org/abs/1910.09217) on the CE quickstart:
# the stage-1 linear classifier is kept as it is (Stage1CheckpointHook reinit=()) and only one
# logit scale per class is learnt (DecoupledClsHead scales=True, train_weights=False), with
# cross-entropy on class-balanced batches; recipe and evaluation of the cRT quickstart config.
#   python tools/train.py configs/quickstart/lws_resnet32_1xb64_fashion-mnist-lt-if500.py
_base_ = ['./crt_resnet32_1xb64_fashion-mnist-lt-if500.py']

model = dict(head=dict(type='DecoupledClsHead', scales=True, train_weights=False))
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
