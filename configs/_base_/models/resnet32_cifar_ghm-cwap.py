# LTR-standard ResNet-32 for 32x32 inputs (resnet32_cifar.py: linear classifier) trained with the
# GHM-CWAP loss of the paper's CIFAR tables, GHMCWAPLoss's defaults: bins 30, alpha 0.9, gamma 0.8,
# adaptive unit regions (AURA), intra- and inter-category balance, W clamped at 10. The loss's
# num_classes fixes its buffers: set it with the head's, e.g. `model = dict(head=dict(
# num_classes=100, loss=dict(num_classes=100)))`.
_base_ = './resnet32_cifar.py'
model = dict(
    head=dict(num_classes=10, loss=dict(_delete_=True, type='GHMCWAPLoss', num_classes=10)))
