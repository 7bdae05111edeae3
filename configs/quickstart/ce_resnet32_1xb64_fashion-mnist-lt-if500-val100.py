# The CE quickstart with a validation split: the balanced Fashion-MNIST test set split in two,
# the first 100 images per class for validation (model selection, e.g. the τ of
# tools/analysis/tau_norm.py) and the other 900 per class for the test numbers, so that no choice
# is made on the test images. The model and the training are the CE quickstart's, so its
# checkpoints evaluate with this config too:
#   python tools/analysis/tau_norm.py \
#       configs/quickstart/ce_resnet32_1xb64_fashion-mnist-lt-if500-val100.py \
#       work_dirs/ce_resnet32_1xb64_fashion-mnist-lt-if500/epoch_4.pth
# The stage-2 quickstart configs (crt_, crt-cosine_, lws_, las_) inherit it.
_base_ = ['./ce_resnet32_1xb64_fashion-mnist-lt-if500.py']

# the test split (LongTailedDataset, subsample=False) of the CE quickstart, split in two
test_set = {{_base_.test_dataloader.dataset}}
val_dataloader = dict(
    dataset=dict(_delete_=True, type='ClassBalancedSubset', per_class=100, selection='first',
                 dataset=test_set))
test_dataloader = dict(
    _delete_=True,
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(type='ClassBalancedSubset', per_class=100, selection='first', complement=True,
                 dataset=test_set),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
