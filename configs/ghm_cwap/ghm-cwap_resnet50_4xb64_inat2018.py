# GHM-CWAP, ResNet-50 from scratch, iNaturalist 2018 (8142 classes): bins 30, alpha 0.9,
# gamma 0.8. The paper does not state its large-scale schedule; this uses
# the iNaturalist 2018 recipe of this repo (100 epochs, total batch 256, lr 0.2,
# wd 1e-4, 5-epoch warm-up + cosine), i.e. the CE baseline's, so the two compare directly.
# 4 GPUs x 64 images:
#   bash tools/dist_train.sh configs/ghm_cwap/ghm-cwap_resnet50_4xb64_inat2018.py 4
# The fine histogram is 8142 x 600 float32 (19.5 MB, also in checkpoints); the per-class histograms
# are summed across GPUs once per epoch.
_base_ = '../baselines/ce_resnet50_4xb64_inat2018.py'
model = dict(head=dict(loss=dict(_delete_=True, type='GHMCWAPLoss', num_classes=8142)))
