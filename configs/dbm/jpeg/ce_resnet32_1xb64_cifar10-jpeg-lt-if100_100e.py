# Cross-entropy on the JPEG copy of CIFAR-10 (data/cifar10-jpeg, see
# configs/_base_/datasets/cifar10_lt_jpeg.py) made long-tailed at IF100 by LongTailedDataset (the
# images of the official CIFAR-10-LT IF100 split), ResNet-32, linear classifier: the DBM paper's
# CIFAR recipe shortened to 100 epochs for the GPU reproduction (batch 64, SGD lr 0.1, momentum 0.9,
# wd 2e-4, 5-epoch linear warm-up then cosine to epoch 100, RandomCrop 32 pad 4 + flip + AutoAugment
# CIFAR-10 policy + Cutout 16 px).
# bs_ and dbm-bs_ in this folder, and seesaw_ and ghm-cwap_ in configs/ghm_cwap/jpeg/, inherit
# this file and change only the model head / loss.
#   python tools/train.py configs/dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py
_base_ = [
    '../../_base_/models/resnet32_cifar.py',
    '../../_base_/datasets/cifar10_lt_jpeg_autoaug.py',
    '../../_base_/schedules/cifar_lt_200e.py',
    '../../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
train_dataloader = dict(batch_size=64)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=0.0, by_epoch=True, begin=5, end=100,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=100)
