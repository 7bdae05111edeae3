# mmltr default runtime: MMPretrain's, plus mmltr's plugin import and LongTailLossHook.
custom_imports = dict(imports=['mmltr'], allow_failed_imports=False)

# Keep MMPretrain's scope: mmltr registers into MMPretrain's registries, so mmltr and MMPretrain
# modules (and MMPretrain's own `_base_` configs) mix freely.
default_scope = 'mmpretrain'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Keep the last checkpoint (for --resume). mmltr reports final-epoch accuracy; add
    # save_best='lt/top1' to also keep the best epoch (that selects on the evaluation split).
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

# Fills class counts into count-aware losses before training, passes the epoch to losses with a
# schedule (DRW) and ends the epoch for stateful losses (GHM-CWAP). Harmless for plain losses.
# PerClassAccuracyHook: ShotAccuracy(per_class=True) writes <work_dir>/per_class/epoch_{N}.json and
# sends lt/per_class/<class> scalars to tracking backends, e.g.
# vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')].
custom_hooks = [dict(type='LongTailLossHook'), dict(type='PerClassAccuracyHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
# A fixed seed: the long-tailed subsets are deterministic anyway (their own `seed`), this makes
# weight init and data order reproducible too.
randomness = dict(seed=0, deterministic=False)
