# The fast path for small-image datasets (CIFAR-10/100-LT, Fashion-MNIST-LT; JPEG or pickle/idx):
# decode the long-tailed training set and the test set once, keep them on the GPU as uint8, augment
# each epoch there in batches (the config's own training pipeline, translated op by op: RandomCrop,
# RandomFlip, AutoAugment and its ops, Cutout, DifficultyNetAutoAugment, MeanCutout) and evaluate
# on the GPU-resident test set, with no per-iteration host synchronisation in the loop. Any method
# works (the model's train_step is called with MMPretrain's usual `inputs` + `data_samples` batch).
#
# Use: add this file as the LAST entry of a config's `_base_` list, e.g.
#   _base_ = ['../_base_/models/resnet32_cifar.py', '../_base_/datasets/cifar10_lt_jpeg.py',
#             '../_base_/schedules/cifar_lt_200e.py', '../_base_/default_runtime.py',
#             '../_base_/fast_path.py']
# or, for an existing leaf config, inherit it and add this base:
#   _base_ = ['./ce_resnet32_1xb64_cifar10-lt-if100.py', '../_base_/fast_path.py']
# (MMEngine forbids one key in two bases, so this file does not set train_cfg/val_cfg/test_cfg:
# FastPathRunner rewrites them to GPUEpochBasedTrainLoop/GPUValLoop/GPUTestLoop when the runner is
# built, keeping max_epochs/val_interval.) Turn it off with --cfg-options fast_path.enable=False.
# Without this base: --cfg-options train_cfg.type=GPUEpochBasedTrainLoop val_cfg.type=GPUValLoop
# test_cfg.type=GPUTestLoop
runner_type = 'FastPathRunner'

fast_path = dict(
    enable=True,
    # fixed input sizes: let cuDNN pick the fastest convolution algorithms (speed only)
    cudnn_benchmark=True,
    train=dict(
        # 'auto': the training dataset's own pipeline, batched (see
        # mmltr/engine/fast_path/pipeline.py). Or an explicit list of MMPretrain transform
        # dicts, e.g. the DBM recipe's:
        #   [dict(type='RandomCrop', crop_size=32, padding=4),
        #    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        #    dict(type='AutoAugment', policies=<the CIFAR-10 policy list>, hparams=...),
        #    dict(type='DeVriesCutout', length=16, n_holes=1, pad_val=0)]
        gpu_pipeline='auto',
        aug_chunk_size=16384,  # images augmented at once
        sync_interval=None,  # host copies of the log variables: every LoggerHook interval
        # Off until their effect on accuracy is measured on the GPU (README, Performance):
        autocast_dtype=None,  # 'bfloat16'
        channels_last=False,
    ),
    # 'auto': the head's own batched rule (batch_predictions, e.g. CosineClsHead's) applied to
    # model(x, mode='tensor') when the head has one, else model.val_step/test_step.
    val=dict(mode='auto', batch_size=1000),
    test=dict(mode='auto', batch_size=1000),
)
