"""Per-epoch, per-class training diagnostics: what a loss did to each class while training."""
import json
import math
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmltr.utils import unwrap_model

# per-class running sums kept during an epoch (summed over ranks at the epoch end)
_SUMS = ('count', 'g_sum', 'w_sum', 'w_clamped')


@HOOKS.register_module()
class TrainDiagnosticsHook(Hook):
    """Record, per training epoch and per class, how the loss treated the samples.

    It watches the head's loss module (``model.head.loss_module``, MMPretrain's attribute) with a
    forward hook and the optimizer with a step pre-hook, and writes one JSON line per epoch to
    ``{work_dir}/{out_file}``:

    * ``count``: training samples seen per class;
    * ``g_mean``: mean ``1 - p_y`` per class, with ``p = softmax(scores)`` of the scores the loss
      received (the GHM gradient norm of plain cross-entropy; for a cosine head these are raw
      cosines, so the number is only comparable between runs of the same head);
    * for a loss that reports the sample weights it applied (a ``last_sample_weights`` attribute,
      e.g. :class:`mmltr.models.losses.GHMCWAPLoss`): per class ``w_min``, ``w_mean``, ``w_max``
      and ``w_clamped`` (share of samples at the loss's ``max_weight``), and per batch the ratio
      ``sum(w) / batch size`` (``batch_w_ratio``: min, mean, max over the epoch);
    * ``grad_norm``: the L2 norm of all parameter gradients before each optimizer step (min,
      mean, max over the epoch);
    * ``loss``: the mean training loss of the epoch;
    * ``region_edges``: the loss's per-class region edges after its epoch-end update, when it has
      them (``region_edges``).

    Add it with ``custom_hooks = [dict(type='TrainDiagnosticsHook')]``. Under DDP the per-class
    sums are added over ranks; batch and gradient statistics are rank 0's.

    Args:
        out_file (str): File name in the work directory. Defaults to 'train_diagnostics.jsonl'.
        log_classes (bool): Also print a one-line summary per epoch. Defaults to True.
    """

    priority = 'LOW'  # after LongTailLossHook's epoch-end update

    def __init__(self, out_file: str = 'train_diagnostics.jsonl', log_classes: bool = True):
        self.out_file = out_file
        self.log_classes = log_classes
        self._handles: List = []

    # -- wiring ---------------------------------------------------------------------------------
    def before_train(self, runner) -> None:
        head = getattr(unwrap_model(runner.model), 'head', None)
        self.loss_module = getattr(head, 'loss_module', None)
        if self.loss_module is None:
            raise ValueError('TrainDiagnosticsHook: the model has no head.loss_module to watch.')
        self._handles.append(self.loss_module.register_forward_hook(self._on_loss))
        wrapper = runner.optim_wrapper
        optimizers = ([w.optimizer for w in wrapper.values()] if hasattr(wrapper, 'values')
                      else [wrapper.optimizer])
        self._params = [p for p in unwrap_model(runner.model).parameters() if p.requires_grad]
        # the model's optimizer is the first (Difficulty-Net's own optimizer is not watched)
        self._handles.append(optimizers[0].register_step_pre_hook(self._on_step))
        self.path = osp.join(runner.work_dir, self.out_file)
        if is_main_process() and osp.exists(self.path) and runner.epoch == 0:
            open(self.path, 'w').close()

    def after_train(self, runner) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def before_train_epoch(self, runner) -> None:
        self._sums: Optional[Dict[str, torch.Tensor]] = None
        self._w_min = self._w_max = None
        self._batch: Dict[str, List[float]] = defaultdict(list)

    # -- collection -----------------------------------------------------------------------------
    def _on_loss(self, module, args, output) -> None:
        if not module.training or len(args) < 2:
            return
        scores, label = args[0].detach().float(), args[1]
        if label.dim() != 1:  # soft labels: no per-class statistics
            return
        C = scores.size(1)
        if self._sums is None:
            self._sums = {k: scores.new_zeros(C, dtype=torch.float64) for k in _SUMS}
            self._w_min = scores.new_full((C, ), math.inf, dtype=torch.float64)
            self._w_max = scores.new_full((C, ), -math.inf, dtype=torch.float64)
        g = 1.0 - F.softmax(scores, dim=1).gather(1, label[:, None]).squeeze(1)
        ones = torch.ones_like(g, dtype=torch.float64)
        self._sums['count'].index_add_(0, label, ones)
        self._sums['g_sum'].index_add_(0, label, g.double())
        weights = getattr(module, 'last_sample_weights', None)
        if weights is not None:
            w = weights.detach().double()
            self._sums['w_sum'].index_add_(0, label, w)
            max_w = getattr(module, 'max_weight', None)
            if max_w is not None:
                self._sums['w_clamped'].index_add_(0, label, (w >= max_w * (1 - 1e-6)).double())
            self._w_min.scatter_reduce_(0, label, w, 'amin')
            self._w_max.scatter_reduce_(0, label, w, 'amax')
            self._batch['batch_w_ratio'].append(float(w.sum()) / w.numel())
        self._batch['loss'].append(float(output.detach().float().mean()))

    def _on_step(self, optimizer, args, kwargs) -> None:
        grads = [p.grad.detach().float().norm() for p in self._params if p.grad is not None]
        if grads:
            self._batch['grad_norm'].append(float(torch.stack(grads).norm()))

    # -- epoch summary --------------------------------------------------------------------------
    @staticmethod
    def _summary(values: List[float]) -> Optional[Dict[str, float]]:
        if not values:
            return None
        return dict(min=min(values), mean=sum(values) / len(values), max=max(values))

    def after_train_epoch(self, runner) -> None:
        if self._sums is None:
            return
        for t in self._sums.values():
            all_reduce(t, op='sum')
        all_reduce(self._w_min, op='min')
        all_reduce(self._w_max, op='max')
        n = self._sums['count']
        seen = n > 0
        per_n = torch.where(seen, n, torch.ones_like(n))

        def per_class(t):
            return [float(v) if s else None for v, s in zip(t.tolist(), seen.tolist())]

        record = dict(epoch=runner.epoch, count=[int(v) for v in n.tolist()],
                      g_mean=per_class(self._sums['g_sum'] / per_n),
                      loss=self._summary(self._batch['loss']),
                      grad_norm=self._summary(self._batch['grad_norm']))
        if self._batch['batch_w_ratio']:
            record.update(w_min=per_class(self._w_min), w_max=per_class(self._w_max),
                          w_mean=per_class(self._sums['w_sum'] / per_n),
                          w_clamped=per_class(self._sums['w_clamped'] / per_n),
                          batch_w_ratio=self._summary(self._batch['batch_w_ratio']))
        edges = getattr(self.loss_module, 'region_edges', None)
        if isinstance(edges, torch.Tensor):
            record['region_edges'] = [[round(e, 5) for e in row] for row in edges.tolist()]
        if is_main_process():
            with open(self.path, 'a') as f:
                f.write(json.dumps(record) + '\n')
            if self.log_classes:
                runner.logger.info(self._format(record))

    @staticmethod
    def _format(record) -> str:
        def fmt(vals):
            return '[' + ' '.join('-' if v is None else f'{v:.2f}' for v in vals) + ']'

        parts = [f'diagnostics epoch {record["epoch"]}: loss {record["loss"]["mean"]:.3f}',
                 f'grad_norm {record["grad_norm"]["mean"]:.3f}' if record['grad_norm'] else '',
                 f'g_mean {fmt(record["g_mean"])}']
        if 'w_mean' in record:
            r = record['batch_w_ratio']
            parts += [f'w_mean {fmt(record["w_mean"])}', f'w_max {fmt(record["w_max"])}',
                      f'clamped {fmt(record["w_clamped"])}',
                      f'sum(w)/B {r["min"]:.2f}/{r["mean"]:.2f}/{r["max"]:.2f}']
        return ' | '.join(p for p in parts if p)
