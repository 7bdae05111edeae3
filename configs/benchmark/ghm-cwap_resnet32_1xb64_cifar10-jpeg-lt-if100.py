# Performance benchmark: GHM-CWAP (bins 30, alpha 0.9, gamma 0.8, adaptive regions, as
# configs/ghm_cwap/), otherwise the CE benchmark config (DBM recipe, batch 64, 200 epochs).
_base_ = './ce_resnet32_1xb64_cifar10-jpeg-lt-if100.py'
model = dict(head=dict(loss=dict(_delete_=True, type='GHMCWAPLoss', num_classes=10)))
