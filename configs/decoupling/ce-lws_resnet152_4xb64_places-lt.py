# LWS on the CE baseline, ResNet-152, Places-LT: the stage-1 classifier is kept and only one logit
# scale per class is learnt; the rest as the cRT config.
#   bash tools/dist_train.sh configs/decoupling/ce-lws_resnet152_4xb64_places-lt.py 4
_base_ = './ce-crt_resnet152_4xb64_places-lt.py'
model = dict(head=dict(type='DecoupledClsHead', scales=True, train_weights=False))
custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())]
