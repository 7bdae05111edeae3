"""Per-iteration cost of the training loop machinery (standard vs fast loop), on a trivial model.

    python tools/benchmark/loop_overhead.py [--iters 50] [--epochs 3] [--batch-size 64]
        [--image-size 32] [--loops standard,fast] [--clock wall|cpu] [--json PATH | --out-dir DIR]

The model is an MMPretrain ``ImageClassifier`` whose compute is small (a 1x1 convolution on
4x4-pooled images, ``GlobalAveragePooling``, ``LinearClsHead`` with ``CrossEntropyLoss``,
``ClsDataPreprocessor`` normalisation, SGD): an iteration still goes through
``ImageClassifier.train_step`` -> ``loss`` -> the head's loss, as a real run does. The runtime is
``configs/_base_/default_runtime.py``'s (default hooks, ``LongTailLossHook``,
``PerClassAccuracyHook``, logger interval 50). The training set is ``--iters x --batch-size``
in-memory RGB images (``--image-size``, default 32) with ``PackInputs`` as the whole pipeline (no
augmentation), loaded with ``default_collate`` as ``tools/train.py`` does.

* ``standard``: MMEngine's ``EpochBasedTrainLoop`` (sampler, dataset, ``PackInputs`` building one
  ``DataSample`` per image, collate, ``train_step``, hooks through ``runner.call_hook``);
* ``fast``: ``GPUEpochBasedTrainLoop`` (:mod:`mmltr.engine.fast_path`) on the CPU.

Each loop trains ``--epochs`` epochs of ``--iters`` iterations; the first is warm-up. The time of
an epoch runs from the first ``before_train_epoch`` hook to the first ``after_train_epoch`` hook
(so the epoch's batching and augmentation count, checkpoint saving does not); ms per iteration
is the median over the timed epochs (``--clock cpu``: the process's CPU time instead of
wall-clock time).

**Overhead.** Right after each timed epoch, the same process trains one epoch of each of two
baselines, each measured under the same machine load as the epoch before it:

* a *bare loop*: the same tensor work written out by hand with no framework (one gather of the
  epoch's images, then per iteration the normalisation, forward, cross-entropy, backward and SGD
  step; :class:`BareLoop`);
* a *train_step loop*: MMPretrain's ``model.train_step`` called in a plain ``for`` loop with the
  batches the fast loop hands the model (uint8 images, a ``LabelBatch``), with MMEngine's
  ``OptimWrapper``, and nothing else: no hooks, no message hub, no log variables kept
  (:class:`StepLoop`).

A loop's overhead is the median over the timed epochs of (loop epoch - the bare epoch after it)
per iteration: all that the framework adds to the tensor work. It splits in two (medians of the
paired differences, so the parts need not add up exactly):

* *model stack* (train_step loop - bare loop): MMEngine's and MMPretrain's ``train_step`` chain
  (data preprocessor, ``ImageClassifier``/head/loss module Python, ``parse_losses``,
  ``OptimWrapper``), the same in every loop; the loops call the model as it is;
* *loop machinery* (loop - train_step loop): what the loop itself adds: batching, data samples,
  hook calls and what the hooks do (timers, learning rate and log handling), its own Python.

**Function calls.** A third run counts the function calls made per iteration of the timed epochs
(Python functions, and C functions called from Python: ``sys.setprofile``), and one epoch of each
baseline the same way: a measure of the Python work that machine load does not change, for
comparing versions of the loop on a busy machine.

**Breakdown.** A run of the same loop with every stage wrapped in a timer gives exclusive times
per stage, in ms per iteration (the timers add a little; on a GPU they are host times, the
kernels running asynchronously):

* ``sampler/batch``: standard: the ``DataLoader`` iterator without the pipeline (sampler, dataset
  access, collate); fast: the epoch's batch indices and image gather, amortised (with
  ``PackInputs`` alone there is nothing to augment);
* ``data samples``: standard: the dataset pipeline (``PackInputs``: tensors and ``DataSample``);
  fast: each iteration's batch (the inputs slice and its data samples, a ``LabelBatch`` whose
  items are made when the data preprocessor first reads them, under ``data preprocessor``);
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

``--json PATH`` writes ``{"standard_ms_per_iter", "fast_ms_per_iter", "bare_ms_per_iter": {loop:
ms}, "step_ms_per_iter": {loop: ms}, "overhead_ms_per_iter": {loop: ms},
"model_stack_ms_per_iter": {loop: ms}, "machinery_ms_per_iter": {loop: ms}, "calls_per_iter":
{loop: n}, "bare_calls_per_iter", "step_calls_per_iter", "breakdown": {loop: {stage: ms}},
"hooks": {loop: {hook: ms}}, "device_name", "summary": one line, ...}``.
The model runs where MMEngine's runner puts it: the CPU here; on a machine with a GPU, the GPU
(the baselines too), where the loop's Python work is what limits a small model's iteration.
"""
import argparse
import functools
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from typing import Dict, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _common import format_table  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import BaseDataset  # noqa: E402
from mmengine.device import get_device  # noqa: E402
from mmengine.hooks import Hook, LoggerHook, RuntimeInfoHook  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmpretrain.models import ImageClassifier  # noqa: E402

import mmltr  # noqa: E402,F401  (registers the fast loops and hooks)
from mmltr.engine.fast_path.samples import batch_samples, label_views  # noqa: E402

RUNTIME = osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')
LOOPS = dict(standard='EpochBasedTrainLoop', fast='GPUEpochBasedTrainLoop')
STAGES = ('sampler/batch', 'data samples', 'data preprocessor', 'backbone+neck', 'head+labels',
          'loss function', 'backward+step', 'train_step wrapper', 'hooks', 'log handling',
          'loop (rest)')
LOG_HOOKS = (RuntimeInfoHook, LoggerHook)
SGD_ARGS = dict(lr=0.01, momentum=0.9, weight_decay=2e-4)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Per-iteration cost of the standard and fast loops.')
    p.add_argument('--iters', type=int, default=50, help='iterations per epoch (default 50)')
    p.add_argument('--epochs', type=int, default=3,
                   help='epochs per loop, the first one warm-up (default 3)')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--num-classes', type=int, default=10)
    p.add_argument('--image-size', type=int, default=32,
                   help='side of the square images (default 32); smaller images make the '
                   "model's own tensor work smaller still")
    p.add_argument('--loops', default='standard,fast', help='comma-separated: standard, fast')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                   help="'wall' (default): wall-clock time; 'cpu': this process's CPU time "
                   '(steadier on a machine busy with other work)')
    p.add_argument('--json', default=None, metavar='PATH', help='write the results as JSON')
    p.add_argument('--out-dir', default=None, metavar='DIR',
                   help='write the results to DIR/loop_overhead.json (as the other benchmarks '
                   'do; tools/reproduce.py gives it)')
    args = p.parse_args(argv)
    if args.iters < 1 or args.epochs < 2 or args.batch_size < 1 or args.image_size < 4:
        p.error('--iters and --batch-size must be >= 1, --epochs >= 2 (one warm-up epoch) and '
                '--image-size >= 4.')
    if args.out_dir and not args.json:
        args.json = osp.join(args.out_dir, 'loop_overhead.json')
    args.loops = [x.strip() for x in args.loops.split(',') if x.strip()]
    unknown = sorted(set(args.loops) - set(LOOPS))
    if unknown or not args.loops:
        p.error(f'--loops: unknown loop(s) {unknown}; choose from {list(LOOPS)}.')
    return args


# ----------------------------------------------------------------------------------------------
# the trivial run
# ----------------------------------------------------------------------------------------------
class TinyBackbone(nn.Module):
    """A 1x1 convolution on 4x4-average-pooled images: real parameters, little compute."""

    def __init__(self, in_channels: int = 3, out_channels: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x):
        return (self.conv(F.adaptive_avg_pool2d(x, 4)), )


class MemoryDataset(BaseDataset):
    """``num`` random ``size`` x ``size`` RGB images (HWC uint8 ``img``) with labels, in memory."""

    def __init__(self, num: int, num_classes: int, seed: int, pipeline, size: int = 32) -> None:
        rng = np.random.default_rng(seed)
        self._images = rng.integers(0, 256, size=(num, size, size, 3), dtype=np.uint8)
        self._labels = rng.integers(0, num_classes, size=num)
        super().__init__(ann_file='', metainfo=dict(
            classes=tuple(f'c{i}' for i in range(num_classes))), pipeline=pipeline)

    def load_data_list(self):
        return [dict(img=img, gt_label=int(lab)) for img, lab in zip(self._images, self._labels)]

    def get_gt_labels(self) -> np.ndarray:
        """The labels, as MMPretrain's datasets give them (``LongTailLossHook`` counts them)."""
        return self._labels.copy()


def build_model(args) -> ImageClassifier:
    """The trivial ``ImageClassifier`` (its compute is small)."""
    return ImageClassifier(
        backbone=TinyBackbone(), neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=args.num_classes, in_channels=16,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=args.num_classes,
                               mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7]))


def build_runner(loop: str, args, work_dir: str) -> Runner:
    rt = Config.fromfile(RUNTIME)
    init_default_scope(rt.default_scope)  # the dataset builds its pipeline right away
    model = build_model(args)
    dataset = MemoryDataset(args.iters * args.batch_size, args.num_classes, args.seed,
                            pipeline=[dict(type='PackInputs')], size=args.image_size)
    return Runner(
        model=model,
        work_dir=work_dir,
        experiment_name=f'loop_overhead_{loop}_{time.time_ns()}',
        train_dataloader=dict(dataset=dataset, batch_size=args.batch_size, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate'), drop_last=True),
        optim_wrapper=dict(optimizer=dict(type='SGD', **SGD_ARGS)),
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


class CallCounter:
    """Counts the function calls (Python functions, and C functions called from Python) made
    between :meth:`start` and :meth:`stop`: a measure of Python work that machine load does not
    change."""

    def __init__(self) -> None:
        self.calls = 0

    def _event(self, frame, event, arg) -> None:
        if event in ('call', 'c_call'):
            self.calls += 1

    def start(self) -> None:
        sys.setprofile(self._event)

    def stop(self) -> None:
        sys.setprofile(None)


class BareLoop:
    """The loops' tensor work with no framework at all, one epoch per :meth:`run_epoch` call.

    Per epoch: a random permutation, one gather of the epoch's images and labels; per iteration:
    the data preprocessor's normalisation, the trivial model's forward, cross-entropy,
    ``zero_grad``, backward and the SGD step, written out by hand (a model and optimizer of its
    own). The images are converted to ``(N, C, H, W)`` once, at construction (the fast loop
    decodes its data once, too). A subclass keeps the data and the epoch and changes
    :meth:`setup` (the model's training set-up) and :meth:`train` (the iterations).
    """

    def __init__(self, args, clock) -> None:
        self.args, self.clock = args, clock
        self.device = torch.device(get_device())  # where MMEngine's runner puts the model
        self.model = build_model(args).to(self.device)
        data = MemoryDataset(args.iters * args.batch_size, args.num_classes, args.seed,
                             pipeline=[], size=args.image_size)
        self.images = torch.from_numpy(data._images).permute(0, 3, 1, 2).contiguous().to(
            self.device)
        self.labels = torch.from_numpy(data._labels).to(self.device)
        self.setup()

    def setup(self) -> None:
        model = self.model
        self.mean, self.std = model.data_preprocessor.mean, model.data_preprocessor.std
        self.net = nn.Sequential(model.backbone, model.neck, _Last(), model.head.fc).train()
        self.optimizer = torch.optim.SGD(self.net.parameters(), **SGD_ARGS)

    def run_epoch(self) -> float:
        """Train one epoch; returns its time in seconds."""
        t0 = self.clock()
        perm = torch.randperm(self.images.size(0), device=self.device)
        self.train(self.images.index_select(0, perm), self.labels[perm], perm)
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)  # the loops end each epoch synchronised, too
        return self.clock() - t0

    def train(self, images: torch.Tensor, labels: torch.Tensor, perm: torch.Tensor) -> None:
        bs, net, optimizer = self.args.batch_size, self.net, self.optimizer
        for i in range(self.args.iters):
            x = (images[i * bs:(i + 1) * bs].float() - self.mean) / self.std
            loss = F.cross_entropy(net(x), labels[i * bs:(i + 1) * bs])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


class StepLoop(BareLoop):
    """MMPretrain's ``train_step`` in a plain ``for`` loop: the model stack without a loop.

    The epoch's data as :class:`BareLoop`'s; per iteration, what the fast loop hands the model
    (the batch's uint8 images and a ``LabelBatch`` of its labels, the items' label views picked
    from views of the whole dataset's labels made once) goes to ``model.train_step`` with an
    ``OptimWrapper`` over the same SGD. No hooks, no message hub; the returned log variables are
    dropped.
    """

    def setup(self) -> None:
        self.model.train()
        self.optim_wrapper = OptimWrapper(torch.optim.SGD(self.model.parameters(), **SGD_ARGS))
        self.views = label_views(self.labels)

    def train(self, images: torch.Tensor, labels: torch.Tensor, perm: torch.Tensor) -> None:
        bs, model, views = self.args.batch_size, self.model, self.views
        order = perm.tolist()
        for i in range(self.args.iters):
            start, end = i * bs, (i + 1) * bs
            samples = batch_samples(labels[start:end],
                                    views=list(map(views.__getitem__, order[start:end])))
            model.train_step(dict(inputs=images[start:end], data_samples=samples),
                             optim_wrapper=self.optim_wrapper)


BASELINES = dict(bare=BareLoop, train_step=StepLoop)


class _Last(nn.Module):
    """The last of a tuple of feature maps (what the head takes from the neck)."""

    def forward(self, feats):
        return feats[-1]


class _EpochClock(Hook):
    """Times each epoch from the first ``before_train_epoch`` hook to the first
    ``after_train_epoch`` hook; resets the stage timer when the first timed epoch starts. With
    baselines (:class:`BareLoop`, :class:`StepLoop`), runs one epoch of each right after each
    timed epoch (pairs measured under the same machine load)."""

    priority = 'HIGHEST'

    def __init__(self, timer: StageTimer, instrumented: bool,
                 baselines: Optional[Dict[str, BareLoop]] = None,
                 counter: Optional[CallCounter] = None) -> None:
        self.timer = timer
        self.instrumented = instrumented
        self.baselines = baselines or {}
        self.counter = counter  # counts the calls of the timed epochs
        self.epochs = []  # (seconds, iterations) of the timed epochs
        # seconds of each baseline's epoch after each timed epoch
        self.baseline_epochs = {name: [] for name in self.baselines}
        self.stages = {}
        self._t0 = self._iter0 = None

    def before_train(self, runner) -> None:
        if self.instrumented:
            instrument(runner, self.timer)
        for baseline in self.baselines.values():
            baseline.run_epoch()  # warm-up

    def before_train_epoch(self, runner) -> None:
        if runner.epoch == 1:
            self.timer.reset()
        self._iter0 = runner.iter
        if self.counter is not None and runner.epoch >= 1:
            self.counter.start()
        self._t0 = self.timer.clock()

    def after_train_epoch(self, runner) -> None:
        dt = self.timer.clock() - self._t0
        if self.counter is not None:
            self.counter.stop()
        if runner.epoch >= 1:
            self.epochs.append((dt, runner.iter - self._iter0))
            self.stages = dict(self.timer.totals)
            for name, baseline in self.baselines.items():
                self.baseline_epochs[name].append(baseline.run_epoch())


def run_loop(loop: str, args, instrumented: bool = False, paired: bool = False,
             count_calls: bool = False) -> _EpochClock:
    """Train ``loop`` for ``args.epochs`` epochs (``paired``: each timed epoch followed by one
    epoch of each baseline; ``count_calls``: count the function calls of the timed epochs); the
    clock hook holds the times."""
    clock_fn = time.process_time if args.clock == 'cpu' else time.perf_counter
    timer = StageTimer(clock_fn)
    with tempfile.TemporaryDirectory(prefix='loop_overhead_') as work_dir:
        runner = build_runner(loop, args, work_dir)
        baselines = {name: cls(args, clock_fn)
                     for name, cls in BASELINES.items()} if paired else None
        clock = _EpochClock(timer, instrumented, baselines,
                            CallCounter() if count_calls else None)
        runner.register_hook(clock)
        runner.train()
    return clock


def _median_diff(a, b) -> float:
    return statistics.median(x - y for x, y in zip(a, b))


def measure(loop: str, args) -> dict:
    plain = run_loop(loop, args, instrumented=False, paired=True)
    per_iter = [1e3 * s / n for s, n in plain.epochs]
    bare, step = ([1e3 * s / args.iters for s in plain.baseline_epochs[name]]
                  for name in ('bare', 'train_step'))
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
    counted = run_loop(loop, args, count_calls=True)
    return dict(ms_per_iter=statistics.median(per_iter), bare_ms_per_iter=statistics.median(bare),
                step_ms_per_iter=statistics.median(step),
                calls_per_iter=counted.counter.calls / sum(n for _, n in counted.epochs),
                overhead_ms_per_iter=_median_diff(per_iter, bare),
                model_stack_ms_per_iter=_median_diff(step, bare),
                machinery_ms_per_iter=_median_diff(per_iter, step),
                instrumented_ms_per_iter=1e3 * total / iters, breakdown=stages, hooks=hooks)


def baseline_calls_per_iter(args) -> Dict[str, float]:
    """Function calls per iteration of each baseline (one epoch after a warm-up epoch)."""
    calls = {}
    for name, cls in BASELINES.items():
        baseline, counter = cls(args, time.perf_counter), CallCounter()
        baseline.run_epoch()
        counter.start()
        try:
            baseline.run_epoch()
        finally:
            counter.stop()
        calls[name] = counter.calls / args.iters
    return calls


def report(results: dict, calls: Dict[str, float], args) -> str:
    loops = list(results)

    def row(label, key, fmt='.3f'):
        return (label, *(f'{results[lp][key]:{fmt}}' for lp in loops))

    rows = [(stage, *(f"{results[lp]['breakdown'][stage]:.3f}" for lp in loops))
            for stage in STAGES]
    rows += [row('total (instrumented)', 'instrumented_ms_per_iter'),
             row('ms per iteration', 'ms_per_iter'),
             row('bare loop, same epochs', 'bare_ms_per_iter'),
             row('train_step loop, same epochs', 'step_ms_per_iter'),
             row('overhead (less bare loop)', 'overhead_ms_per_iter'),
             row('  model stack (train_step - bare)', 'model_stack_ms_per_iter'),
             row('  loop machinery (less train_step)', 'machinery_ms_per_iter'),
             row('function calls per iteration', 'calls_per_iter', '.0f')]
    hooks = sorted({h for lp in loops for h in results[lp]['hooks']})
    hook_rows = [(h, *(f"{results[lp]['hooks'].get(h, 0.0):.3f}" for lp in loops))
                 for h in hooks]
    head = ('stage (ms/iter)', *loops)
    epoch_s = {lp: results[lp]['ms_per_iter'] * args.iters / 1e3 for lp in loops}
    return (f'batch {args.batch_size}, {args.iters} iters/epoch, {args.epochs - 1} timed '
            f'epoch(s), trivial ImageClassifier on {get_device()} ({torch.get_num_threads()} '
            f'CPU threads), {args.clock} clock; function calls per iteration: bare loop '
            f"{calls['bare']:.0f}, train_step loop {calls['train_step']:.0f}\n"
            f'{format_table(head, rows)}\n\nper hook (ms/iter)\n'
            f'{format_table(("hook", *loops), hook_rows)}\n\n' + ', '.join(
                f'{lp}: {epoch_s[lp]:.3f} s per {args.iters}-iteration epoch' for lp in loops))


def summary(results: dict, calls: Dict[str, float], args) -> str:
    """One line: each loop's overhead (and its loop machinery part) and function calls per
    iteration."""
    return (f'overhead per iteration over a bare loop (trivial model, batch {args.batch_size}, '
            f'{get_device()}): ' + ', '.join(
                f'{lp} {r["overhead_ms_per_iter"]:.2f} ms (loop machinery '
                f'{r["machinery_ms_per_iter"]:.2f} ms)' for lp, r in results.items())
            + '; function calls per iteration: ' + ', '.join(
                f'{lp} {r["calls_per_iter"]:.0f}' for lp, r in results.items())
            + f", train_step loop {calls['train_step']:.0f}, bare loop {calls['bare']:.0f}")


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    results = {loop: measure(loop, args) for loop in args.loops}
    calls = baseline_calls_per_iter(args)
    print(report(results, calls, args))
    if args.json:
        payload = {f'{lp}_ms_per_iter': results[lp]['ms_per_iter'] for lp in results}
        for key in ('bare_ms_per_iter', 'step_ms_per_iter', 'overhead_ms_per_iter',
                    'model_stack_ms_per_iter', 'machinery_ms_per_iter', 'calls_per_iter',
                    'breakdown', 'hooks', 'instrumented_ms_per_iter'):
            payload[key] = {lp: r[key] for lp, r in results.items()}
        payload.update(device_name=(torch.cuda.get_device_name()
                                    if get_device() == 'cuda' else get_device()),
                       bare_calls_per_iter=calls['bare'],
                       step_calls_per_iter=calls['train_step'], args=vars(args),
                       torch_threads=torch.get_num_threads(),
                       summary=summary(results, calls, args))
        if osp.dirname(args.json):
            os.makedirs(osp.dirname(args.json), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(payload, f, indent=2)
        print(f'wrote {args.json}')
    return results


if __name__ == '__main__':
    main()
