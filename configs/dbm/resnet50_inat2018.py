# DBM-BCL, ResNet-50 from scratch, iNaturalist 2018 (8,142 classes): the paper's iNat setting
# (Son et al., Difficulty-aware Balancing Margin Loss for Long-tailed Recognition, AAAI 2025,
# https://arxiv.org/abs/2412.15477). BCL (../bcl/bcl_resnet50_4xb64_inat2018.py, the DBM code's
# BCL) whose classification branch uses the DBM logits (s=30, K=0.1, tau=1) with the log prior
# (DBM-BS); 100 epochs, total batch 256, SGD lr 0.2 (wd 1e-4), the DBM cosine schedule.
# DBM paper Table 4 (top-1): 71.9.
#   bash tools/dist_train.sh configs/dbm/resnet50_inat2018.py 4      # 4 GPUs x 64 = 256
# (another GPU count: --auto-scale-lr, base batch 256). DBM-BS without BCL:
# dbm-bs_resnet50_4xb64_inat2018.py.
_base_ = '../bcl/bcl_resnet50_4xb64_inat2018.py'
model = dict(head=dict(classifier=dict(loss=dict(_delete_=True, type='DBMLoss', base='bs',
                                                 scale=30.0))))
