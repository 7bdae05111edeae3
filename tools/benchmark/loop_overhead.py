"""Per-iteration cost of the training loop machinery (standard vs fast loop), on a trivial model.

    python tools/benchmark/loop_overhead.py [--iters 50] [--epochs 3] [--batch-size 64]
        [--loops standard,fast] [--clock wall|cpu] [--json PATH]

The model is an MMPretrain ``ImageClassifier`` whose compute is negligible (a 1x1 convolution on
8x8-pooled 32x32 images, ``GlobalAveragePooling``, ``LinearClsHead`` with ``CrossEntropyLoss``,
``ClsDataPreprocessor`` normalisation, SGD), so an iteration costs what the loop machinery costs:
it still goes through ``ImageClassifier.train_step`` -> ``loss`` -> the head's loss, as a real run
does. The runtime is ``configs/_base_/default_runtime.py``'s (default hooks, ``LongTailLossHook``,
``PerClassAccuracyHook``, logger interval 50). The training set is ``--iters x --batch-size``
in-memory 32x32 images with ``PackInputs`` as the whole pipeline (no augmentation), loaded with
``default_collate`` as ``tools/train.py`` does.

* ``standard``: MMEngine's ``EpochBasedTrainLoop`` (sampler, dataset, ``PackInputs`` building one
  ``DataSample`` per image, collate, ``train_step``, hooks through ``runner.call_hook``);
* ``fast``: ``GPUEpochBasedTrainLoop`` (:mod:`mmltr.engine.fast_path`) on the CPU.

Each loop trains ``--epochs`` epochs of ``--iters`` iterations; the first is warm-up. The time of
an epoch runs from the first ``before_train_epoch`` hook to the first ``after_train_epoch`` hook
(so the epoch's batching and augmentation count, checkpoint saving does not); ms per iteration
is the median over the timed epochs of epoch time / iterations (``--clock cpu``: the process's
CPU time instead of wall-clock time, steadier on a busy machine). A second run of the same loop
with every stage wrapped in a timer gives the breakdown (exclusive times, ms per iteration):

* ``sampler/batch``: standard: the ``DataLoader`` iterator without the pipeline (sampler, dataset
  access, collate); fast: the epoch's batch indices and image gather, amortised (with
  ``PackInputs`` alone there is nothing to augment);
* ``data samples``: standard: the dataset pipeline (``PackInputs``: tensors and ``DataSample``);
  fast: each iteration's batch (the inputs slice and its data samples, a ``LabelBatch`` whose
  items are made when the head reads them, under ``head+labels``);
* ``data preprocessor``: ``model.data_preprocessor`` (normalisation, label handling);
* ``backbone+neck``, ``loss function``, ``backward+step``: the trivial model's own compute
  (``extract_feat``, the head's loss module, ``optim_wrapper.update_params``);
* ``head+labels``: the rest of ``model.loss``: the head's linear layer and the labels read from
  the data samples (``ClsHead._get_loss``);
* ``train_step wrapper``: the rest of ``train_step`` (``optim_context``, ``parse_losses``);
* ``hooks``: every hook's ``before_train_iter``/``after_train_iter`` except the two below;
* ``log handling``: ``RuntimeInfoHook``/``LoggerHook``'s ``after_train_iter`` (log variables to
  the message hub, log lines) and, fast loop, its deferred log variables (append/flush);
* ``loop (rest)``: the epoch time not in any stage (the loop's own Python, hook dispatch).

The loop's overhead is the instrumented run's time per iteration less its model compute stages
(``backbone+neck``, ``loss function``, ``backward+step``); it includes the timers' own small
cost, and the data preprocessor's normalisation arithmetic. ``--json PATH``
writes ``{"standard_ms_per_iter", "fast_ms_per_iter", "overhead_ms_per_iter": {loop: ms},
"breakdown": {loop: {stage: ms}}, "hooks": {loop: {hook: ms}}, ...}``. The model runs on the CPU:
on a GPU the same Python work runs (plus kernel launches), so the numbers show the loop's share
of an iteration there.
"""
import argparse
import functools
import json
import os.path as osp
import statistics
import sys
import tempfile
import time
from collections import defaultdict

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _common import format_table  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import BaseDataset  # noqa: E402
from mmengine.hooks import Hook, LoggerHook, RuntimeInfoHook  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmpretrain.models import ImageClassifier  # noqa: E402

import mmltr  # noqa: E402,F401  (registers the fast loops and hooks)

RUNTIME = osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')
LOOPS = dict(standard='EpochBasedTrainLoop', fast='GPUEpochBasedTrainLoop')
STAGES = ('sampler/batch', 'data samples', 'data preprocessor', 'backbone+neck', 'head+labels',
          'loss function', 'backward+step', 'train_step wrapper', 'hooks', 'log handling',
          'loop (rest)')
MODEL_STAGES = ('backbone+neck', 'loss function', 'backward+step')
LOG_HOOKS = (RuntimeInfoHook, LoggerHook)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Per-iteration cost of the standard and fast loops.')
    p.add_argument('--iters', type=int, default=50, help='iterations per epoch (default 50)')
    p.add_argument('--epochs', type=int, default=3,
                   help='epochs per loop, the first one warm-up (default 3)')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--num-classes', type=int, default=10)
    p.add_argument('--loops', default='standard,fast', help='comma-separated: standard, fast')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                   help="'wall' (default): wall-clock time; 'cpu': this process's CPU time "
                   '(steadier on a machine busy with other work)')
    p.add_argument('--json', default=None, metavar='PATH', help='write the results as JSON')
    args = p.parse_args(argv)
    if args.iters < 1 or args.epochs < 2 or args.batch_size < 1:
        p.error('--iters and --batch-size must be >= 1 and --epochs >= 2 (one warm-up epoch).')
    args.loops = [x.strip() for x in args.loops.split(',') if x.strip()]
    unknown = sorted(set(args.loops) - set(LOOPS))
    if unknown or not args.loops:
        p.error(f'--loops: unknown loop(s) {unknown}; choose from {list(LOOPS)}.')
    return args


# ----------------------------------------------------------------------------------------------
# the trivial run
# ----------------------------------------------------------------------------------------------
class TinyBackbone(nn.Module):
    """A 1x1 convolution on 8x8-average-pooled images: real parameters, negligible compute."""

    def __init__(self, in_channels: int = 3, out_channels: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x):
        return (self.conv(F.avg_pool2d(x, 8)), )


class MemoryDataset(BaseDataset):
    """``num`` random 32x32 RGB images (HWC uint8 ``img``) with labels, held in memory."""

    def __init__(self, num: int, num_classes: int, seed: int, pipeline) -> None:
        rng = np.random.default_rng(seed)
        self._images = rng.integers(0, 256, size=(num, 32, 32, 3), dtype=np.uint8)
        self._labels = rng.integers(0, num_classes, size=num)
        super().__init__(ann_file='', metainfo=dict(
            classes=tuple(f'c{i}' for i in range(num_classes))), pipeline=pipeline)

    def load_data_list(self):
        return [dict(img=img, gt_label=int(lab)) for img, lab in zip(self._images, self._labels)]

    def get_gt_labels(self) -> np.ndarray:
        """The labels, as MMPretrain's datasets give them (``LongTailLossHook`` counts them)."""
        return self._labels.copy()


def build_runner(loop: str, args, work_dir: str) -> Runner:
    rt = Config.fromfile(RUNTIME)
    init_default_scope(rt.default_scope)  # the dataset builds its pipeline right away
    model = ImageClassifier(
        backbone=TinyBackbone(), neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=args.num_classes, in_channels=16,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=args.num_classes,
                               mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7]))
    dataset = MemoryDataset(args.iters * args.batch_size, args.num_classes, args.seed,
                            pipeline=[dict(type='PackInputs')])
    return Runner(
        model=model,
        work_dir=work_dir,
        experiment_name=f'loop_overhead_{loop}_{time.time_ns()}',
        train_dataloader=dict(dataset=dataset, batch_size=args.batch_size, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate'), drop_last=True),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                          weight_decay=2e-4)),
        train_cfg=dict(type=LOOPS[loop], max_epochs=args.epochs),
        default_hooks=rt.default_hooks,
        custom_hooks=rt.custom_hooks,
        env_cfg=dict(rt.env_cfg, dist_cfg=dict(backend='gloo')),
        randomness=dict(seed=args.seed),
        default_scope=rt.default_scope,
        visualizer=rt.visualizer,
        log_level='WARNING',
    )


# ----------------------------------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------------------------------
class StageTimer:
    """Exclusive wall-clock time per stage of methods wrapped with :meth:`wrap`.

    A wrapped call nested in another one (e.g. the data preprocessor inside ``train_step``)
    counts for its own stage only; its time is taken out of the caller's.
    """

    def __init__(self, clock=time.perf_counter) -> None:
        self.clock = clock
        self.totals = defaultdict(float)
        self._stack = []

    def reset(self) -> None:
        self.totals.clear()

    def timed(self, fn, stage: str):
        stack, totals, clock = self._stack, self.totals, self.clock

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            stack.append(0.0)
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = clock() - t0
                totals[stage] += dt - stack.pop()
                if stack:
                    stack[-1] += dt

        return wrapper

    def wrap(self, obj, name: str, stage: str) -> None:
        """Replace ``obj.name`` by a timed version (an instance attribute)."""
        setattr(obj, name, self.timed(getattr(obj, name), stage))


class _TimedLoader:
    """A ``DataLoader`` whose iterator's ``__next__`` is timed (attributes pass through)."""

    def __init__(self, loader, timer: StageTimer) -> None:
        self._loader = loader
        self._timer = timer

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def __len__(self) -> int:
        return len(self._loader)

    def __iter__(self):
        it = iter(self._loader)
        step = self._timer.timed(lambda: next(it), 'sampler/batch')
        while True:
            try:
                yield step()
            except StopIteration:
                return


def instrument(runner: Runner, timer: StageTimer) -> None:
    """Wrap every per-iteration stage of ``runner``'s train loop in ``timer`` (once the runner
    has built its loop and optimizer wrapper)."""
    loop, model = runner.train_loop, runner.model
    dataset = loop.dataloader.dataset
    if type(loop).__name__ == LOOPS['standard']:
        dataset.pipeline = timer.timed(dataset.pipeline, 'data samples')
        loop.dataloader = _TimedLoader(loop.dataloader, timer)
    else:
        timer.wrap(loop, '_prepare_epoch', 'sampler/batch')
        timer.wrap(loop, '_batch', 'data samples')
        timer.wrap(loop._log_vars, 'append', 'log handling')
        timer.wrap(loop._log_vars, 'flush', 'log handling')
    timer.wrap(model.data_preprocessor, 'forward', 'data preprocessor')
    timer.wrap(model, 'loss', 'head+labels')
    timer.wrap(model, 'extract_feat', 'backbone+neck')
    timer.wrap(model.head.loss_module, 'forward', 'loss function')
    timer.wrap(runner.optim_wrapper, 'update_params', 'backward+step')
    timer.wrap(model, 'train_step', 'train_step wrapper')
    for hook in runner.hooks:
        if isinstance(hook, _EpochClock):
            continue
        stage = 'log handling' if isinstance(hook, LOG_HOOKS) else 'hooks'
        for name in ('before_train_iter', 'after_train_iter'):
            timer.wrap(hook, name, f'{stage}|{type(hook).__name__}')


class _EpochClock(Hook):
    """Times each epoch from the first ``before_train_epoch`` hook to the first
    ``after_train_epoch`` hook; resets the stage timer when the first timed epoch starts."""

    priority = 'HIGHEST'

    def __init__(self, timer: StageTimer, instrumented: bool) -> None:
        self.timer = timer
        self.instrumented = instrumented
        self.epochs = []  # (seconds, iterations) of the timed epochs
        self.stages = {}
        self._t0 = self._iter0 = None

    def before_train(self, runner) -> None:
        if self.instrumented:
            instrument(runner, self.timer)

    def before_train_epoch(self, runner) -> None:
        if runner.epoch == 1:
            self.timer.reset()
        self._iter0 = runner.iter
        self._t0 = self.timer.clock()

    def after_train_epoch(self, runner) -> None:
        dt = self.timer.clock() - self._t0
        if runner.epoch >= 1:
            self.epochs.append((dt, runner.iter - self._iter0))
            self.stages = dict(self.timer.totals)


def run_loop(loop: str, args, instrumented: bool) -> _EpochClock:
    """Train ``loop`` for ``args.epochs`` epochs; the clock hook holds the times."""
    timer = StageTimer(time.process_time if args.clock == 'cpu' else time.perf_counter)
    with tempfile.TemporaryDirectory(prefix='loop_overhead_') as work_dir:
        runner = build_runner(loop, args, work_dir)
        clock = _EpochClock(timer, instrumented)
        runner.register_hook(clock)
        runner.train()
    return clock


def measure(loop: str, args) -> dict:
    plain = run_loop(loop, args, instrumented=False)
    ms_per_iter = statistics.median(1e3 * s / n for s, n in plain.epochs)
    timed = run_loop(loop, args, instrumented=True)
    iters = sum(n for _, n in timed.epochs)
    total = sum(s for s, _ in timed.epochs)
    stages, hooks = dict.fromkeys(STAGES, 0.0), {}
    for key, seconds in timed.stages.items():
        stage, _, hook = key.partition('|')
        stages[stage] += 1e3 * seconds / iters
        if hook:
            hooks[hook] = hooks.get(hook, 0.0) + 1e3 * seconds / iters
    stages['loop (rest)'] = 1e3 * total / iters - sum(stages.values())
    overhead = 1e3 * total / iters - sum(stages[k] for k in MODEL_STAGES)
    return dict(ms_per_iter=ms_per_iter, overhead_ms_per_iter=overhead,
                instrumented_ms_per_iter=1e3 * total / iters, breakdown=stages, hooks=hooks)


def report(results: dict, args) -> str:
    loops = list(results)
    rows = [(stage, *(f"{results[lp]['breakdown'][stage]:.3f}" for lp in loops))
            for stage in STAGES]
    rows.append(('total (instrumented)',
                 *(f"{results[lp]['instrumented_ms_per_iter']:.3f}" for lp in loops)))
    rows.append(('ms per iteration', *(f"{results[lp]['ms_per_iter']:.3f}" for lp in loops)))
    rows.append(('overhead (less model)',
                 *(f"{results[lp]['overhead_ms_per_iter']:.3f}" for lp in loops)))
    hooks = sorted({h for lp in loops for h in results[lp]['hooks']})
    hook_rows = [(h, *(f"{results[lp]['hooks'].get(h, 0.0):.3f}" for lp in loops))
                 for h in hooks]
    head = ('stage (ms/iter)', *loops)
    epoch_s = {lp: results[lp]['ms_per_iter'] * args.iters / 1e3 for lp in loops}
    return (f'batch {args.batch_size}, {args.iters} iters/epoch, {args.epochs - 1} timed '
            f'epoch(s), trivial ImageClassifier, CPU ({torch.get_num_threads()} threads), '
            f'{args.clock} clock\n'
            f'{format_table(head, rows)}\n\nper hook (ms/iter)\n'
            f'{format_table(("hook", *loops), hook_rows)}\n\n' + ', '.join(
                f'{lp}: {epoch_s[lp]:.3f} s per {args.iters}-iteration epoch' for lp in loops))


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    results = {loop: measure(loop, args) for loop in args.loops}
    print(report(results, args))
    if args.json:
        payload = {f'{lp}_ms_per_iter': results[lp]['ms_per_iter'] for lp in results}
        payload.update(overhead_ms_per_iter={lp: r['overhead_ms_per_iter']
                                             for lp, r in results.items()},
                       breakdown={lp: r['breakdown'] for lp, r in results.items()},
                       hooks={lp: r['hooks'] for lp, r in results.items()},
                       instrumented_ms_per_iter={lp: r['instrumented_ms_per_iter']
                                                 for lp, r in results.items()},
                       args=vars(args), torch_threads=torch.get_num_threads())
        with open(args.json, 'w') as f:
            json.dump(payload, f, indent=2)
        print(f'wrote {args.json}')
    return results


if __name__ == '__main__':
    main()
