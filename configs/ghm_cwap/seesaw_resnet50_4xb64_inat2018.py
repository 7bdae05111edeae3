# Seesaw loss baseline (MMPretrain's SeesawLoss: p 0.8, q 2.0), ResNet-50, iNaturalist 2018,
# same recipe as the GHM-CWAP config. (Softmax CE: configs/baselines/ce_resnet50_4xb64_inat2018.py.)
# Note: MMPretrain's SeesawLoss counts samples per rank (no all_reduce across GPUs).
_base_ = './ghm-cwap_resnet50_4xb64_inat2018.py'
model = dict(
    head=dict(loss=dict(_delete_=True, type='SeesawLoss', num_classes=8142, p=0.8, q=2.0)))
