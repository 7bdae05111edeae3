# Difficulty-Net's runtime plumbing, shared by configs/difficulty_net/ (add it after
# default_runtime.py in `_base_`). The method configs set the model, the meta set
# (DifficultyNetHook in custom_hooks), the two optimizers (OptimWrapperDict with
# constructor='DifficultyNetOptimWrapperConstructor'), their schedules and train_cfg.
val_cfg = dict()
test_cfg = dict()

# mmengine's default DDP wrapper never calls the model's train_step: wrap each child separately
# (the GAN-style wrapper), so `tools/dist_train.sh` runs the meta step. device_ids=None: each
# child stays on its process's device (GPU, or CPU with gloo, where DDP refuses device_ids).
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
    find_unused_parameters=False, device_ids=None)
