# Seesaw loss baseline (MMPretrain's SeesawLoss: p 0.8, q 2.0), ResNet-32, CIFAR-100-LT IF100,
# same recipe as GHM-CWAP. Note: MMPretrain's SeesawLoss counts samples per rank (no all_reduce).
# GHM-CWAP paper Table 1 (top-1, Seesaw): IF500 33.63, IF100 40.87, IF10 57.83, IF1 71.35.
_base_ = './ghm-cwap_resnet32_1xb128_cifar100-lt-if100.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='SeesawLoss', num_classes=100, p=0.8, q=2.0)))
