# Seesaw loss baseline (MMPretrain's SeesawLoss: p 0.8, q 2.0), ResNet-32, CIFAR-100-LT IF1,
# same recipe as GHM-CWAP. Note: MMPretrain's SeesawLoss counts samples per rank (no all_reduce).
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if1.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='SeesawLoss', num_classes=100, p=0.8, q=2.0)))
