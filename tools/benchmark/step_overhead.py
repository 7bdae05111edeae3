"""Cost of each long-tailed method's head + loss, relative to plain cross-entropy, on one batch.

    python tools/benchmark/step_overhead.py [--devices cpu,cuda] [--batch-size 64]
        [--num-classes 10] [--backbone none|resnet32] [--repeats 50] [--out-dir DIR]

For every method the same batch is used: ``--backbone none`` (default) feeds fixed 64-d features
(the ResNet-32 feature size, ``requires_grad`` like a backbone output) to the head alone;
``--backbone resnet32`` runs the full ResNet-32 on 32x32 images. Methods (``_common.METHODS``,
each loss with its default arguments): CE (``LinearClsHead`` + ``CrossEntropyLoss``), BS
(``BalancedSoftmaxLoss``), LDAM (``CosineClsHead`` + ``LDAMLoss``), DBM and DBM-BS
(``CosineClsHead`` + ``DBMLoss``), GHM-CWAP (``LinearClsHead`` + ``GHMCWAPLoss``),
Difficulty-Net (the whole meta step of ``DifficultyNetClassifier.train_step``: virtual
second-order step, meta loss, Adam step, weighted real step, with a meta batch of
``--meta-batch-size``). Class counts are CIFAR-LT's (IF ``--imbalance-factor``).

Two timings per method, each the median over ``--repeats`` runs of ``--inner`` iterations after
``--warmup`` iterations, with ``torch.cuda.synchronize`` around each run:

* ``fwd+bwd``: ``model(x, samples, mode='loss')`` + ``backward`` (not for Difficulty-Net, whose
  step is not separable);
* ``step``: ``model.train_step`` (forward, backward, optimizer step; SGD, and Adam for
  Difficulty-Net).

Both are reported in ms and as ratios to CE's. Writes ``<out-dir>/step_overhead.json``.
``--quick``: few repeats and small sizes, for a CPU smoke test.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from _common import METHODS, fmt, format_table, head_cfg, median_ms, set_class_counts  # noqa: E402
from mmengine.optim import OptimWrapper, OptimWrapperDict  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

import mmltr  # noqa: E402,F401
from mmltr.datasets import lt_class_sizes  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Head+loss cost of each method relative to CE.')
    p.add_argument('--devices', default=None, help='comma-separated (default: cpu + cuda if any)')
    p.add_argument('--methods', default=','.join(METHODS),
                   help='comma-separated subset of ' + ', '.join(METHODS))
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--meta-batch-size', type=int, default=100)
    p.add_argument('--num-classes', type=int, default=10)
    p.add_argument('--imbalance-factor', type=float, default=100)
    p.add_argument('--feat-dim', type=int, default=64)
    p.add_argument('--backbone', choices=('none', 'resnet32'), default='none')
    p.add_argument('--warmup', type=int, default=10)
    p.add_argument('--repeats', type=int, default=30)
    p.add_argument('--inner', type=int, default=10, help='iterations per timed run')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--quick', action='store_true', help='tiny sizes for a CPU smoke test')
    p.add_argument('--out-dir', default='work_dirs/step_overhead')
    args = p.parse_args(argv)
    if args.quick:
        args.warmup, args.repeats, args.inner = 2, 3, 2
        args.batch_size = min(args.batch_size, 16)
        args.meta_batch_size = min(args.meta_batch_size, 10)
    return args


# ----------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------
class FeatureBackbone(nn.Module):
    """Identity 'backbone': the inputs are already the features (head + loss alone)."""

    def forward(self, x):
        return (x, )


def lt_counts(num_classes: int, imbalance_factor: float, n_max: int = 5000):
    return lt_class_sizes(n_max, num_classes, imbalance_factor)


def build_model(method: str, args, counts, device):
    if args.backbone == 'none':
        backbone, neck, in_ch = FeatureBackbone(), None, args.feat_dim
    else:
        backbone = dict(type='ResNet32_CIFAR', depth=32)
        neck, in_ch = dict(type='GlobalAveragePooling'), 64
    head = head_cfg(METHODS[method], args.num_classes, in_ch)
    cfg = dict(type='ImageClassifier', backbone=backbone, neck=neck, head=head,
               data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=args.num_classes))
    if method == 'Difficulty-Net':
        cfg.update(type='DifficultyNetClassifier',
                   difficulty_net=dict(type='DifficultyNet', hidden_dims=(128, 128), bias=False))
    model = MODELS.build(cfg).to(device)
    model.train()
    set_class_counts(model, counts)
    return model


def make_batch(args, n, counts, device, gen):
    p = np.asarray(counts, dtype=np.float64)
    labels = torch.multinomial(torch.as_tensor(p / p.sum()), n, replacement=True,
                               generator=gen).to(device)
    if args.backbone == 'none':
        x = torch.randn(n, args.feat_dim, generator=gen).to(device).requires_grad_(True)
    else:
        x = (torch.rand(n, 3, 32, 32, generator=gen) * 255).to(device)
    samples = []
    for i in range(n):
        s = DataSample()
        s.set_field(labels[i:i + 1], 'gt_label', dtype=torch.Tensor)
        samples.append(s)
    return dict(inputs=x, data_samples=samples)


def optim_wrapper(model, method):
    def sgd(params):
        return OptimWrapper(torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=2e-4))
    if method != 'Difficulty-Net':
        return sgd([p for p in model.parameters() if p.requires_grad])
    dn = model.difficulty_net_module
    dn_ids = {id(p) for p in dn.parameters()}
    rest = [p for p in model.parameters() if id(p) not in dn_ids and p.requires_grad]
    return OptimWrapperDict(model=sgd(rest), difficulty_net=OptimWrapper(
        torch.optim.Adam(dn.parameters(), lr=1e-5, weight_decay=1e-4)))


class _Forever:
    def __init__(self, batch):
        self.batch = batch

    def __iter__(self):
        return self

    def __next__(self):
        return self.batch


# ----------------------------------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------------------------------
def bench_method(method, args, counts, device, batch, meta_batch):
    model = build_model(method, args, counts, device)
    ow = optim_wrapper(model, method)
    out = dict(method=method, device=str(device))
    if method == 'Difficulty-Net':
        model.set_meta_loader(_Forever(meta_batch))
        model.set_class_accuracy(torch.linspace(0.2, 0.9, args.num_classes))
        out['fwd_bwd_ms'] = None
    else:
        x, samples = batch['inputs'], batch['data_samples']

        def fwd_bwd():
            model.zero_grad(set_to_none=True)
            if x.requires_grad:
                x.grad = None
            losses = model(x, samples, mode='loss')
            loss, _ = model.parse_losses(losses)
            loss.backward()

        out['fwd_bwd_ms'] = median_ms(fwd_bwd, device, args.warmup, args.repeats, args.inner)

    def step():
        model.train_step(batch, optim_wrapper=ow)

    out['step_ms'] = median_ms(step, device, args.warmup, args.repeats, args.inner)
    return out


def results_table(rows) -> str:
    head = ('device', 'method', 'fwd+bwd ms', 'x CE', 'step ms', 'x CE')
    return format_table(head, [(r['device'], r['method'], fmt(r['fwd_bwd_ms'], '.3f'),
                                fmt(r.get('fwd_bwd_ratio'), '.2f'), fmt(r['step_ms'], '.3f'),
                                fmt(r.get('step_ratio'), '.2f')) for r in rows])


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmpretrain')
    torch.manual_seed(args.seed)
    devices = (args.devices.split(',') if args.devices else
               ['cpu'] + (['cuda'] if torch.cuda.is_available() else []))
    methods = [m.strip() for m in args.methods.split(',') if m.strip()]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f'--methods: unknown method(s) {unknown}; choose from {list(METHODS)}.')
    counts = lt_counts(args.num_classes, args.imbalance_factor)
    rows = []
    for dev_name in devices:
        device = torch.device(dev_name)
        gen = torch.Generator().manual_seed(args.seed)
        batch = make_batch(args, args.batch_size, counts, device, gen)
        meta_batch = make_batch(args, args.meta_batch_size, [1] * args.num_classes, device, gen)
        meta_batch['inputs'] = meta_batch['inputs'].detach()
        dev_rows = []
        for method in methods:
            r = bench_method(method, args, counts, device, batch, meta_batch)
            dev_rows.append(r)
            print(f'step_overhead: {dev_name} {method}: {r}', flush=True)
        ce = next((r for r in dev_rows if r['method'] == 'CE'), None)
        for r in dev_rows if ce is not None else ():  # ratios to CE when it was measured
            if r['fwd_bwd_ms'] is not None:
                r['fwd_bwd_ratio'] = r['fwd_bwd_ms'] / ce['fwd_bwd_ms']
            r['step_ratio'] = r['step_ms'] / ce['step_ms']
        rows.extend(dev_rows)
    table = results_table(rows)
    print(f'\nbatch {args.batch_size}, {args.num_classes} classes (IF {args.imbalance_factor:g}), '
          f'backbone {args.backbone}; median of {args.repeats} x {args.inner} iterations\n{table}')
    os.makedirs(args.out_dir, exist_ok=True)
    path = osp.join(args.out_dir, 'step_overhead.json')
    with open(path, 'w') as f:
        json.dump(dict(args=vars(args), results=rows, table=table,
                       device_name=(torch.cuda.get_device_name()
                                    if torch.cuda.is_available() else 'cpu')), f, indent=2)
    print(f'wrote {path}')
    return rows


if __name__ == '__main__':
    main()
