# The quickstart DBM-BS job (ResNet-32, Fashion-MNIST-LT IF 500, 4 epochs) with no training
# augmentation: nothing random is left in the pipeline, so the standard pipeline and the fast path
# see the same images in the same order, and their runs can be compared bit for bit:
#   python tools/benchmark/train_speed.py THIS_CONFIG --modes standard,fast --epochs 4 \
#       --val-interval 4 --seed 0
_base_ = '../quickstart/dbm-bs_resnet32_1xb64_fashion-mnist-lt-if500.py'
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=[dict(type='PackInputs')])))
