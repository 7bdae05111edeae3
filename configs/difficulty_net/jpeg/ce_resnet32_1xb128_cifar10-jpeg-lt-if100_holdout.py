# Cross-entropy baseline for Difficulty-Net on JPEG CIFAR-10-LT IF100: the data, augmentation,
# batch 128, SGD (lr 0.1, momentum 0.9, wd 1e-4), 5-epoch warm-up and x0.01 step at epoch 160 of
# configs/benchmark/difficulty-net_resnet32_1xb128_cifar10-jpeg-lt-if100.py, with the same
# 25-per-class hold-out removed from the training set, and no meta step: a plain MMPretrain
# ImageClassifier with cross-entropy. The only difference between the two runs is Difficulty-Net.
#   python tools/train.py \
#       configs/difficulty_net/jpeg/ce_resnet32_1xb128_cifar10-jpeg-lt-if100_holdout.py
_base_ = ['../../benchmark/difficulty-net_resnet32_1xb128_cifar10-jpeg-lt-if100.py']

model = dict(_delete_=True,
             type='ImageClassifier',
             backbone={{_base_.model.backbone}},
             neck={{_base_.model.neck}},
             head={{_base_.model.head}})
optim_wrapper = dict(_delete_=True, optimizer={{_base_.optim_wrapper.model.optimizer}})
param_scheduler = {{_base_.param_scheduler.model}}
model_wrapper_cfg = dict(_delete_=True, type='MMDistributedDataParallel', broadcast_buffers=False)
custom_hooks = [dict(type='LongTailLossHook'), dict(type='PerClassAccuracyHook')]
