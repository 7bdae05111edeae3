# DBM-BS, ResNet-50 from scratch, iNaturalist 2018 (8,142 classes): cosine classifier + DBM margin
# (s=30, K=0.1, tau=1) + Balanced Softmax. DBM large-scale recipe: 100 epochs, total batch 256, SGD
# lr 0.2 (momentum 0.9, wd 1e-4), its cosine schedule; RandomResizedCrop 224 + flip + ColorJitter +
# RandAugment; iNat normalisation (0.466, 0.471, 0.380) / (0.195, 0.194, 0.192).
#   bash tools/dist_train.sh configs/dbm/dbm-bs_resnet50_4xb64_inat2018.py 4   # 4 GPUs x 64 = 256
# (another GPU count: --auto-scale-lr, base batch 256). The paper's iNat results are on top of BCL
# / GML (DBM-BCL 71.9, resnet50_inat2018.py here; DBM-GML 72.0); its BS baseline is 67.2.
_base_ = [
    '../_base_/models/resnet50_cosine.py',
    '../_base_/datasets/inat2018_randaug.py',
    '../_base_/schedules/inat2018_100e_dbm-cos.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=8142, loss=dict(scale=30.0, base='bs')))
