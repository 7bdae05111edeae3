# Runtime of stage 2 of decoupled training (Kang et al., Decoupling Representation and Classifier
# for Long-Tailed Recognition, ICLR 2020, https://arxiv.org/abs/1910.09217): mmltr's default
# runtime, plus
# * FreezeHook: the backbone and neck keep the stage-1 weights AND BatchNorm statistics
#   (requires_grad=False, eval mode at every forward); only the classifier is trained;
# * Stage1CheckpointHook: load_from (the stage-1 checkpoint) is required, its classifier must
#   have the model's num_classes, and reinit=('head', ) re-initialises the classifier (cRT). LWS
#   and LAS configs keep it (reinit=()).
# * find_unused_parameters=True: MMEngine wraps the model in DDP before any hook runs, so DDP
#   has registered the frozen parameters; with this it marks them unused in every iteration and
#   leaves them untouched (FreezeHook refuses DDP runs without it).
# A stage-2 config sets load_from to its stage-1 checkpoint (tools/train.py's default work dir
# of the stage-1 config), overridable with --cfg-options load_from=PATH.
_base_ = ['./default_runtime.py']

# the hooks every stage-2 config shares; it adds its Stage1CheckpointHook (LWS/LAS configs:
# custom_hooks = _base_.stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=())])
stage2_hooks = [
    dict(type='LongTailLossHook'),
    dict(type='PerClassAccuracyHook'),
    dict(type='FreezeHook', modules=('backbone', 'neck')),
]
custom_hooks = stage2_hooks + [dict(type='Stage1CheckpointHook', reinit=('head', ))]
find_unused_parameters = True
