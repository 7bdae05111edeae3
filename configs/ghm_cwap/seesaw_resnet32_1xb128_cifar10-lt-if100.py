# Seesaw loss baseline (MMPretrain's SeesawLoss: p 0.8, q 2.0), ResNet-32, CIFAR-10-LT IF100,
# same recipe as GHM-CWAP. Note: MMPretrain's SeesawLoss counts samples per rank (no all_reduce).
# GHM-CWAP paper Table 1 (top-1, Seesaw): IF500 64.48, IF100 75.18, IF10 87.76, IF1 93.03.
_base_ = './ghm-cwap_resnet32_1xb128_cifar10-lt-if100.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='SeesawLoss', num_classes=10, p=0.8, q=2.0)))
