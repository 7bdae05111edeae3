# Stage 2, cRT with a re-initialised cosine classifier (CosineClsHead, CE on 30 * cos) on the CE
# quickstart: the cRT quickstart config with another classifier.
#   python tools/train.py configs/quickstart/crt-cosine_resnet32_1xb64_fashion-mnist-lt-if500.py
_base_ = ['./crt_resnet32_1xb64_fashion-mnist-lt-if500.py']

model = dict(
    head=dict(_delete_=True, type='CosineClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
