# cRT on the DBM-BS stage 1 (cosine classifier), ResNet-32, CIFAR-10-LT IF100: the backbone of
#   python tools/train.py configs/dbm/dbm-bs_resnet32_1xb64_cifar10-lt-if100.py
# is frozen and a re-initialised cosine classifier (CosineClsHead, CE on 30 * cos) is trained on
# class-balanced batches; the rest as the CE cRT config.
#   python tools/train.py configs/decoupling/dbm-bs-crt_resnet32_1xb128_cifar10-lt-if100.py
_base_ = './ce-crt_resnet32_1xb128_cifar10-lt-if100.py'
model = dict(
    head=dict(_delete_=True, type='CosineClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              # class vectors of norm ~8 (CosineClsHead's default std=0.01 gives ~0.08: its first
              # SGD steps, of size ~lr * scale / norm, would throw them off and then nearly stop)
              init_cfg=dict(type='Normal', layer='Linear', std=1.0)))
load_from = 'work_dirs/dbm-bs_resnet32_1xb64_cifar10-lt-if100/epoch_200.pth'
