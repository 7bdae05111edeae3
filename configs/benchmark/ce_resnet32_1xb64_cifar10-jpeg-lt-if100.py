# Performance benchmark (README "Performance", tools/benchmark/train_speed.py): cross-entropy,
# ResNet-32 on the JPEG copy of CIFAR-10 made long-tailed at IF100 (12,406 images), the DBM paper's
# CIFAR recipe, i.e. the setting of the reference timings: batch 64, RandomCrop 32 pad 4 + flip +
# AutoAugment (CIFAR-10 policy) + Cutout 16 px, SGD lr 0.1, 200 epochs (5 warm-up + cosine), test
# set evaluated after every epoch. Data: the JPEG CIFAR-10 tree in data/cifar10-jpeg (see
# configs/_base_/datasets/cifar10_lt_jpeg.py). Standard vs fast path in one command:
#   python tools/benchmark/train_speed.py \
#       configs/benchmark/ce_resnet32_1xb64_cifar10-jpeg-lt-if100.py \
#       --epochs 200 --modes standard,fast --out-dir work_dirs/speed/ce
# The fast path alone: add '../_base_/fast_path.py' to `_base_` (or train with --cfg-options, see
# that file). BS, DBM-BS and GHM-CWAP inherit this file and only change the model's head/loss.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar10_lt_jpeg_autoaug.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
train_dataloader = dict(batch_size=64)
