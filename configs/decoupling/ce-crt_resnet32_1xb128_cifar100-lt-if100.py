# cRT (Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition,
# ICLR 2020, https://arxiv.org/abs/1910.09217) on the CE stage 1 of the DBM recipe, ResNet-32,
# CIFAR-100-LT IF100:
#   python tools/train.py configs/dbm/ce_resnet32_1xb64_cifar100-lt-if100.py           # stage 1
#   python tools/train.py configs/decoupling/ce-crt_resnet32_1xb128_cifar100-lt-if100.py
# The backbone of the stage-1 checkpoint (load_from) is frozen, weights and BatchNorm statistics
# (FreezeHook); the linear classifier is re-initialised (Stage1CheckpointHook reinit=('head', ))
# and trained with cross-entropy on class-balanced batches (ClassAwareSampler), 10 epochs
# (configs/_base_/schedules/cifar_lt_stage2_10e.py), stage-1 augmentation.
# The ce-lws_ / ce-las_ / dbm-bs-crt_ configs of this folder inherit this one.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar100_lt_autoaug.py',
    '../_base_/schedules/cifar_lt_stage2_10e.py',
    '../_base_/stage2_runtime.py',
]
model = dict(head=dict(num_classes=100))
train_dataloader = dict(
    batch_size=128, sampler=dict(_delete_=True, type='ClassAwareSampler', num_samples_cls=1))
load_from = 'work_dirs/ce_resnet32_1xb64_cifar100-lt-if100/epoch_200.pth'
