# Stage 2, cRT with a re-initialised cosine classifier (CosineClsHead, CE on 30 * cos) on the CE
# quickstart: the cRT quickstart config with another classifier. Its initialisation (std=1.0,
# class vectors of norm ~8) was chosen on the validation split: 76.5 top-1 there after 3 epochs,
# against 60.7 with CosineClsHead's default std=0.01 (training loss ~5, stuck).
#   python tools/train.py configs/quickstart/crt-cosine_resnet32_1xb64_fashion-mnist-lt-if500.py
_base_ = ['./crt_resnet32_1xb64_fashion-mnist-lt-if500.py']

model = dict(
    head=dict(_delete_=True, type='CosineClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              # class vectors of norm ~8 (CosineClsHead's default std=0.01 gives ~0.08: its first
              # SGD steps, of size ~lr * scale / norm, would throw them off and then nearly stop)
              init_cfg=dict(type='Normal', layer='Linear', std=1.0)))
