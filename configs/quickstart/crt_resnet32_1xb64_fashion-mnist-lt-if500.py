# Stage 2, classifier re-training (cRT; Kang et al., Decoupling Representation and Classifier for
# Long-Tailed Recognition, ICLR 2020, https://arxiv.org/abs/1910.09217) on the CE quickstart:
#   python tools/train.py configs/quickstart/ce_resnet32_1xb64_fashion-mnist-lt-if500.py   # stage 1
#   python tools/train.py configs/quickstart/crt_resnet32_1xb64_fashion-mnist-lt-if500.py  # stage 2
# The ResNet-32 backbone of the stage-1 checkpoint is frozen (weights and BatchNorm statistics,
# FreezeHook), the linear classifier is re-initialised (Stage1CheckpointHook reinit=('head', ))
# and trained with cross-entropy on class-balanced batches (ClassAwareSampler) for 3 epochs,
# SGD lr 0.05 (momentum 0.9, wd 2e-4), cosine to 0.
# Evaluation: 100 test images per class for validation, the other 900 per class for the test
# numbers (the -val100 config's split).
# The cRT-cosine, LWS and LAS quickstart configs inherit this one.
_base_ = ['./ce_resnet32_1xb64_fashion-mnist-lt-if500-val100.py']

load_from = 'work_dirs/ce_resnet32_1xb64_fashion-mnist-lt-if500/epoch_4.pth'
stage2_epochs = 3

train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassAwareSampler', num_samples_cls=1))
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=stage2_epochs, eta_min=0.0, by_epoch=True, begin=0,
         end=stage2_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=stage2_epochs, val_interval=stage2_epochs)

# as configs/_base_/stage2_runtime.py (which cannot be a second base here: the CE quickstart
# config already has a runtime)
stage2_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    dict(type='FreezeHook', modules=('backbone', 'neck')),
]
custom_hooks = stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=('head', ))]
find_unused_parameters = True
