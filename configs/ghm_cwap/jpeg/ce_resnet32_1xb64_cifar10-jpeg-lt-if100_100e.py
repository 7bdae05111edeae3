# Softmax CE on the JPEG copy of CIFAR-10 (../shared/data/cifar10-jpeg.tar.gz) made long-tailed at
# IF100 by LongTailedDataset, ResNet-32: exactly the DBM reproduction's 100-epoch recipe (batch 64,
# SGD lr 0.1, momentum 0.9, wd 2e-4, 5-epoch linear warm-up then cosine to epoch 100, RandomCrop 32
# pad 4 + flip + AutoAugment CIFAR-10 policy + Cutout 16 px; base cifar10_lt_jpeg_autoaug.py on
# cifar10_lt_jpeg.py), by inheriting that CE config unchanged, so its CE figure is shared with the
# DBM table. seesaw_ and ghm-cwap_ in this folder inherit this file and swap only the loss.
#   python tools/train.py \
#       configs/ghm_cwap/jpeg/ghm-cwap_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py
_base_ = '../../dbm/jpeg/ce_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py'
