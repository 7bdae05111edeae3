"""What the scripts in ``tools/benchmark/`` share: device sync, median timing, tables, methods."""
import statistics
import time
from typing import Callable, Optional, Sequence

import torch

# The head + loss of every long-tailed method the benchmarks compare, by the name they report.
# The loss configs keep each class's defaults (the recipes of configs/); count-aware losses get
# the class counts after construction (:func:`set_class_counts`), as LongTailLossHook does.
METHODS = {
    'CE': dict(type='CrossEntropyLoss'),
    'BS': dict(type='BalancedSoftmaxLoss'),
    'LDAM': dict(type='LDAMLoss'),
    'DBM': dict(type='DBMLoss'),
    'DBM-BS': dict(type='DBMLoss', base='bs'),
    'GHM-CWAP': dict(type='GHMCWAPLoss'),
    'Difficulty-Net': dict(type='CrossEntropyLoss'),  # + the meta step of its classifier
}
COSINE_LOSSES = ('DBMLoss', 'LDAMLoss')  # margins on raw cosines: trained with CosineClsHead


def head_cfg(loss: dict, num_classes: int, in_channels: int, **kwargs) -> dict:
    """The head config a loss config is benchmarked with (``kwargs`` go to the head)."""
    loss = dict(loss)
    if loss['type'] == 'GHMCWAPLoss':
        loss.setdefault('num_classes', num_classes)  # sizes its histograms
    head = 'CosineClsHead' if loss['type'] in COSINE_LOSSES else 'LinearClsHead'
    return dict(type=head, num_classes=num_classes, in_channels=in_channels, loss=loss, **kwargs)


def set_class_counts(model: torch.nn.Module, counts) -> None:
    """Give ``counts`` to every module of ``model`` that still needs its class counts."""
    for module in model.modules():
        if getattr(module, 'needs_class_counts', False):
            module.set_class_counts(counts)


def sync(device: Optional[torch.device] = None) -> None:
    """Wait until the GPU has finished its queued work (``device=None``: the current GPU, if any);
    nothing to wait for on the CPU."""
    if device is None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
    elif torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def median_ms(fn: Callable[[], object], device, warmup: int, repeats: int, inner: int = 1) -> float:
    """Median milliseconds per call of ``fn``: ``warmup`` calls, then ``repeats`` timed runs of
    ``inner`` calls each, with the device synchronised around every run."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        sync(device)
        runs.append((time.perf_counter() - start) / inner * 1e3)
    return statistics.median(runs)


def fmt(value, spec: str) -> str:
    """``value`` formatted with ``spec``, ``'-'`` for a missing value."""
    return '-' if value is None else format(value, spec)


def format_table(head: Sequence[str], rows: Sequence[Sequence]) -> str:
    """Right-aligned columns separated by ``|``, with a rule under the header."""
    lines = [tuple(str(c) for c in row) for row in [head, *rows]]
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    text = [' | '.join(c.rjust(w) for c, w in zip(row, widths)) for row in lines]
    text.insert(1, '-+-'.join('-' * w for w in widths))
    return '\n'.join(text)
