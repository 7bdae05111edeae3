"""Large-scale path check: what mmltr's losses and metric add to a plain MMPretrain ResNet-50 step.

    python tools/benchmark/resnet50_throughput.py [--num-images 2048] [--batch-size 64]
        [--losses BalancedSoftmaxLoss,DBMLoss,GHMCWAPLoss,LDAMLoss] [--iters 50] [--out-dir DIR]

ImageNet is not available, so the script writes ``--num-images`` JPEG files (random sizes around
ImageNet's, smooth random content) and an ImageNet-LT-style list file
(``train/nXXXXXXXX/xxx.JPEG <label>``, ``--num-classes`` classes with a long-tailed distribution)
into a temporary folder, then compares

* **plain MMPretrain**: ``CustomDataset(ann_file=list)`` + ``LoadImageFromFile`` +
  ``RandomResizedCrop(224)`` + flip, ResNet-50 + ``LinearClsHead`` + ``CrossEntropyLoss``,
  ``Accuracy`` metric;
* **mmltr**: the same images through ``ImageNetLT`` (mmltr's list dataset, class counts from the
  list) with each loss in ``--losses`` (``DBMLoss``/``LDAMLoss`` with ``CosineClsHead``), and the
  ``ShotAccuracy`` metric.

Reported (median of ``--repeats`` timed runs after warm-up, ``cuda.synchronize`` around each):

1. **step**: ``model.train_step`` on one fixed batch (forward, backward, SGD step): the loss's
   cost without data-loading noise; overhead % vs plain CE (target <= 3 % on the GPU);
2. **loop**: ``--iters`` iterations through the real dataloader (``--workers`` processes):
   images/s end to end;
3. **metric**: ``process`` + ``compute_metrics`` per 1,000 predictions (``--num-classes`` scores),
   ``Accuracy(topk=(1, 5))`` vs ``ShotAccuracy``, in ms.

Writes ``<out-dir>/resnet50_throughput.json``. ``--quick``: 32 px, tiny batch (CPU smoke test).
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import tempfile
import time
from contextlib import nullcontext

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import fmt, format_table, head_cfg, median_ms, set_class_counts, sync  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmpretrain.registry import METRICS, MODELS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

import mmltr  # noqa: E402,F401

DEFAULT_LOSSES = 'BalancedSoftmaxLoss,DBMLoss,GHMCWAPLoss,LDAMLoss'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='ResNet-50 step/loop/metric overhead of mmltr.')
    p.add_argument('--num-images', type=int, default=2048)
    p.add_argument('--num-classes', type=int, default=1000)
    p.add_argument('--imbalance-factor', type=float, default=256.0,
                   help='max/min images per class of the generated list (ImageNet-LT: 1280/5)')
    p.add_argument('--img-size', type=int, default=224)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--losses', default=DEFAULT_LOSSES)
    p.add_argument('--iters', type=int, default=50, help='timed dataloader iterations')
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--repeats', type=int, default=20)
    p.add_argument('--workers', type=int, default=8)
    p.add_argument('--device', default=None)
    p.add_argument('--bf16', action='store_true', help='autocast bfloat16 for both setups')
    p.add_argument('--channels-last', action='store_true')
    p.add_argument('--no-loop', action='store_true', help='skip the dataloader loop timing')
    p.add_argument('--data-dir', default=None, help='reuse/keep generated data here')
    p.add_argument('--quick', action='store_true', help='tiny sizes for a CPU smoke test')
    p.add_argument('--out-dir', default='work_dirs/resnet50_throughput')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    if args.quick:
        args.num_images = min(args.num_images, 16)
        args.img_size, args.batch_size = 32, 4
        args.iters, args.warmup, args.repeats, args.workers = 2, 1, 2, 0
    return args


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------
def lt_labels(n: int, num_classes: int, imbalance_factor: float, rng) -> np.ndarray:
    """``n`` labels with class frequencies ∝ IF^(-c/(C-1)), every class index valid."""
    c = np.arange(num_classes)
    p = imbalance_factor**(-c / max(num_classes - 1, 1))
    return rng.choice(num_classes, size=n, p=p / p.sum())


def generate_data(root: str, args) -> str:
    """JPEGs of random ImageNet-like sizes and ``train_list.txt``; returns the list path."""
    import cv2
    rng = np.random.RandomState(args.seed)
    labels = lt_labels(args.num_images, args.num_classes, args.imbalance_factor, rng)
    lines = []
    scale = 1.0 if args.img_size >= 224 else args.img_size / 224.0
    for i, label in enumerate(labels):
        h = int(rng.randint(300, 500) * scale) + 8
        w = int(rng.randint(350, 500) * scale) + 8
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        img = np.empty((h, w, 3), np.float32)
        for ch in range(3):
            fx, fy, ph = rng.uniform(0.5, 6) / w, rng.uniform(0.5, 6) / h, rng.uniform(0, 6.3)
            img[..., ch] = 127 + 100 * np.sin(2 * np.pi * (fx * xx + fy * yy) + ph)
        img += rng.normal(0, 12, img.shape).astype(np.float32)
        rel = f'train/n{label:08d}/img_{i:06d}.JPEG'
        os.makedirs(osp.join(root, osp.dirname(rel)), exist_ok=True)
        cv2.imwrite(osp.join(root, rel), np.clip(img, 0, 255).astype(np.uint8),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
        lines.append(f'{rel} {int(label)}')
    path = osp.join(root, 'train_list.txt')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def pipeline(img_size: int):
    return [dict(type='LoadImageFromFile'), dict(type='RandomResizedCrop', scale=img_size),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'), dict(type='PackInputs')]


def dataset_cfg(kind: str, root: str, ann: str, args) -> dict:
    if kind == 'plain':
        return dict(type='CustomDataset', data_root=root, ann_file=ann, data_prefix='',
                    with_label=True, pipeline=pipeline(args.img_size))
    if args.num_classes == 1000:
        return dict(type='ImageNetLT', data_root=root, ann_file=ann,
                    pipeline=pipeline(args.img_size))
    return dict(type='LTListDataset', data_root=root, ann_file=ann, num_classes=args.num_classes,
                pipeline=pipeline(args.img_size))


# ----------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------
def model_cfg(loss: str, num_classes: int) -> dict:
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ),
                      style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=head_cfg(dict(type=loss), num_classes, in_channels=2048, topk=(1, 5)),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=num_classes,
                               mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                               to_rgb=True))


def build(loss: str, counts, device, args):
    model = MODELS.build(model_cfg(loss, args.num_classes)).to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    set_class_counts(model, counts)
    model.train()
    ow = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                                      weight_decay=5e-4))
    return model, ow


# ----------------------------------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------------------------------
def _autocast(device, args):
    if args.bf16:
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext()


def _to_device(batch, device, args):
    inputs = batch['inputs']
    if isinstance(inputs, (list, tuple)):
        inputs = torch.stack(list(inputs))
    inputs = inputs.to(device)
    if args.channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    return dict(inputs=inputs, data_samples=batch['data_samples'])


def time_step(model, ow, batch, device, args) -> float:
    def step():
        with _autocast(device, args):
            model.train_step(batch, optim_wrapper=ow)

    return median_ms(step, device, args.warmup, args.repeats)


def time_loop(model, ow, loader, device, args) -> float:
    """Images per second through the dataloader (after ``--warmup`` iterations)."""
    it = iter(loader)
    images, t = 0, None
    for k in range(args.warmup + args.iters):
        try:
            batch = next(it)
        except StopIteration:
            it = iter(loader)
            batch = next(it)
        if k == args.warmup:
            sync(device)
            t = time.perf_counter()
        with _autocast(device, args):
            model.train_step(_to_device(batch, device, args), optim_wrapper=ow)
        if k >= args.warmup:
            images += len(batch['data_samples'])
    sync(device)
    return images / (time.perf_counter() - t)


def time_metric(metric_cfg: dict, num_classes: int, counts, reps: int = 3) -> float:
    """ms per 1,000 predictions: ``process`` (batches of 64) + ``compute_metrics``."""
    metric = METRICS.build(metric_cfg)
    metric.dataset_meta = dict(classes=[str(i) for i in range(num_classes)],
                               class_counts=tuple(int(c) for c in counts))
    gen = torch.Generator().manual_seed(0)
    n = 1000
    scores = torch.softmax(torch.randn(n, num_classes, generator=gen), dim=1)
    labels = torch.randint(0, num_classes, (n, ), generator=gen)
    samples = []
    for i in range(n):
        s = DataSample().set_pred_score(scores[i]).set_pred_label(scores[i].argmax().view(1))
        s.set_gt_label(labels[i:i + 1])
        samples.append(s.to_dict())

    def evaluate():
        metric.results.clear()
        for k in range(0, n, 64):
            metric.process(None, samples[k:k + 64])
        metric.compute_metrics(metric.results)

    return median_ms(evaluate, 'cpu', warmup=0, repeats=reps)


def results_table(rows, metric_rows) -> str:
    head = ('setup', 'loss', 'step ms', 'overhead', 'loop img/s')
    text = [format_table(head, [
        (r['setup'], r['loss'], fmt(r['step_ms'], '.2f'),
         fmt(r.get('overhead_pct'), '+.2f') + ('%' if r.get('overhead_pct') is not None else ''),
         fmt(r.get('loop_images_per_s'), '.1f')) for r in rows])]
    for m in metric_rows:
        text.append(f'metric {m["metric"]}: {m["ms_per_1000"]:.2f} ms per 1,000 predictions '
                    f'({m["num_classes"]} classes)')
    return '\n'.join(text)


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmpretrain')
    torch.manual_seed(args.seed)
    device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    tmp = None
    root = args.data_dir
    if root is None:
        tmp = tempfile.mkdtemp(prefix='mmltr_r50_')
        root = tmp
    try:
        ann = osp.join(root, 'train_list.txt')
        if not osp.exists(ann):
            t = time.perf_counter()
            ann = generate_data(root, args)
            print(f'resnet50_throughput: wrote {args.num_images} JPEGs + list in '
                  f'{time.perf_counter() - t:.1f}s ({root})', flush=True)
        labels = np.loadtxt(ann, dtype=str)[:, 1].astype(np.int64).reshape(-1)
        counts = np.bincount(labels, minlength=args.num_classes)

        def loader(kind):
            return Runner.build_dataloader(dict(
                batch_size=args.batch_size, num_workers=args.workers,
                persistent_workers=args.workers > 0, drop_last=True,
                sampler=dict(type='DefaultSampler', shuffle=True),
                dataset=dataset_cfg(kind, root, ann, args)), seed=args.seed)

        loaders = dict(plain=loader('plain'), mmltr=loader('mmltr'))
        # one fixed batch for the step timing (the same images for every setup)
        fixed = _to_device(next(iter(loaders['plain'])), device, args)
        rows = []
        setups = [('plain', 'CrossEntropyLoss')] + [
            ('mmltr', name.strip()) for name in args.losses.split(',') if name.strip()]
        for setup, loss in setups:
            model, ow = build(loss, counts, device, args)
            r = dict(setup=setup, loss=loss, step_ms=time_step(model, ow, fixed, device, args))
            if not args.no_loop:
                r['loop_images_per_s'] = time_loop(model, ow, loaders[setup], device, args)
            rows.append(r)
            print(f'resnet50_throughput: {r}', flush=True)
            del model, ow
            if device.type == 'cuda':
                torch.cuda.empty_cache()
        base = rows[0]['step_ms']
        for r in rows[1:]:
            if base:
                r['overhead_pct'] = (r['step_ms'] / base - 1.0) * 100.0
        metric_rows = []
        for cfg in (dict(type='Accuracy', topk=(1, 5)), dict(type='ShotAccuracy')):
            metric_rows.append(dict(metric=cfg['type'], num_classes=args.num_classes,
                                    ms_per_1000=time_metric(cfg, args.num_classes, counts)))
        table = results_table(rows, metric_rows)
        print(f'\nResNet-50 {args.img_size}px, batch {args.batch_size}, {args.num_classes} '
              f'classes, {device}' + (' bf16' if args.bf16 else '')
              + (' channels-last' if args.channels_last else '') + f'\n{table}')
        os.makedirs(args.out_dir, exist_ok=True)
        path = osp.join(args.out_dir, 'resnet50_throughput.json')
        device_name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'
        summary = (f'step time over plain MMPretrain CE (ResNet-50 at {args.img_size} px, batch '
                   f'{args.batch_size}, {device_name}): ' + ', '.join(
                       f'{r["loss"]} {fmt(r.get("overhead_pct"), "+.1f")} %' for r in rows[1:]))
        with open(path, 'w') as f:
            json.dump(dict(args=vars(args), device=str(device), device_name=device_name,
                           results=rows, metrics=metric_rows, table=table, summary=summary), f,
                      indent=2)
        print(f'wrote {path}')
        return rows, metric_rows
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
