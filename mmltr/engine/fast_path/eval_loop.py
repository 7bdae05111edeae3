"""``GPUValLoop`` / ``GPUTestLoop``: evaluation on a device-resident val/test set.

The loops decode the val/test set once with its *complete* test pipeline (deterministic) and keep
it on the model's device. ``mode='auto'`` (default) uses a batched prediction path when the
model's head offers one, a public ``batch_predictions(cls_score) -> (pred_scores, pred_labels)``
(as mmltr's ``CosineClsHead``): a prediction is then that rule applied to
``model(inputs, mode='tensor')``; scores and labels are computed on the device, copied to the host
once per evaluation and handed to the evaluator as the per-sample dicts a ``DataSample`` gives
(``pred_score`` (C,), ``pred_label`` (1,), ``gt_label`` (1,), ``num_classes``). Other models go
through ``val_step``/``test_step`` (``mode='predict'``) as the standard loops do. The metrics see
the same predictions either way. (A model whose ``predict`` does more than its head's rule, e.g. a
test-time adjustment, needs ``mode='predict'``.)
"""
import math
from typing import Dict, List, Optional

import torch
from mmengine.dist import get_dist_info
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import TestLoop, ValLoop
from mmengine.structures import BaseDataElement
from mmpretrain.registry import LOOPS

from mmltr.utils import unwrap_model

from .data import DeviceDataset
from .samples import make_samples
from .utils import autocast, default_workers, model_device

__all__ = ['GPUValLoop', 'GPUTestLoop']

MODES = ('auto', 'logits', 'predict')


def _record_losses(outputs: list, losses: Dict[str, HistoryBuffer]) -> list:
    """The predictions in ``outputs``; a trailing loss element (MMEngine's convention for
    validation losses, ``BaseDataElement(loss=dict(...))``) goes into ``losses``."""
    if outputs and isinstance(outputs[-1], BaseDataElement) and outputs[-1].keys() == ['loss']:
        for name, value in outputs[-1].loss.items():
            buf = losses.setdefault(name, HistoryBuffer())
            for v in (value if isinstance(value, (list, tuple)) else [value]):
                if isinstance(v, torch.Tensor):
                    buf.update(v.item())
        outputs = outputs[:-1]
    return outputs


def _mean_losses(losses: Dict[str, HistoryBuffer], stage: str) -> Dict[str, float]:
    """Each loss averaged over the evaluation, plus ``<stage>_loss``, the sum of the ``*loss*``."""
    out = {name: buf.mean() for name, buf in losses.items()}
    out[f'{stage}_loss'] = sum(v for k, v in out.items() if 'loss' in k)
    return out


def _prediction_dicts(scores: torch.Tensor, labels: torch.Tensor,
                      gts: torch.Tensor) -> List[dict]:
    """Per-sample dicts as ``DataSample.to_dict()`` gives them for a prediction."""
    num_classes = scores.size(1)
    return [dict(pred_score=scores[i], pred_label=labels[i:i + 1], gt_label=gts[i:i + 1],
                 num_classes=num_classes) for i in range(scores.size(0))]


class _GPUEvalMixin:
    """Shared by :class:`GPUValLoop` and :class:`GPUTestLoop` (put it before the mmengine loop)."""

    stage = 'val'

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False, mode: str = 'auto',
                 batch_size: Optional[int] = None, autocast_dtype: Optional[str] = None,
                 channels_last: bool = False, decode_workers: Optional[int] = None) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        if mode not in MODES:
            raise ValueError(f"mode must be 'auto', 'logits' or 'predict', got {mode!r}.")
        self.mode = mode
        self.batch_size = batch_size
        self.autocast_dtype = autocast_dtype or ('float16' if fp16 else None)
        self.channels_last = bool(channels_last)
        self.decode_workers = default_workers() if decode_workers is None else int(decode_workers)
        self.data: Optional[DeviceDataset] = None

    def run(self) -> dict:
        self.prepare()
        return self._run_fast()

    def prepare(self) -> None:
        if self.data is not None:
            return
        self.device = model_device(self.runner.model)
        self.data = DeviceDataset(self.dataloader.dataset, self.device, loading_only=False,
                                  workers=self.decode_workers)
        rank, world = get_dist_info()
        n = self.data.num_samples
        total = int(math.ceil(n / world)) * world  # DefaultSampler(round_up=True)
        order = torch.arange(total) % n
        self._indices = order[rank:total:world].to(self.device)
        bs = self.batch_size or getattr(self.dataloader, 'batch_size', None) or 256
        self._bs = int(bs)
        print_log(f'fast path: {n} {self.stage} images {tuple(self.data.images.shape[1:])} '
                  f'decoded once onto {self.device} ({self.data.nbytes / 2**20:.1f} MiB); batch '
                  f'{self._bs}, mode {self._resolved_mode()}', logger='current')

    def _head(self):
        """The model's head (unwrapped), or None."""
        return unwrap_model(getattr(unwrap_model(self.runner.model), 'head', None))

    def _resolved_mode(self) -> str:
        """``'logits'`` when the head has ``batch_predictions`` (for ``'auto'``), else
        ``'predict'``."""
        batched = callable(getattr(self._head(), 'batch_predictions', None))
        if self.mode == 'auto':
            return 'logits' if batched else 'predict'
        if self.mode == 'logits' and not batched:
            raise ValueError(
                f"{type(self).__name__}: mode='logits' needs a head with a "
                f'batch_predictions(cls_score) method; {type(self._head()).__name__} has none. '
                "Use mode='auto' or 'predict'.")
        return self.mode

    def _run_fast(self) -> dict:
        stage = self.stage
        runner = self.runner
        runner.call_hook(f'before_{stage}')
        runner.call_hook(f'before_{stage}_epoch')
        runner.model.eval()
        mode = self._resolved_mode()
        losses: Dict[str, HistoryBuffer] = {}
        model = unwrap_model(runner.model)
        head = self._head()
        step = getattr(runner.model, f'{stage}_step')
        scores, preds, gts = [], [], []
        for b, start in enumerate(range(0, self._indices.numel(), self._bs)):
            sel = self._indices[start:start + self._bs]
            inputs = self.data.images[sel]
            if self.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            labels = self.data.labels[sel]
            samples = make_samples(labels) if mode == 'predict' else None
            data_batch = dict(inputs=inputs, data_samples=samples)
            runner.call_hook(f'before_{stage}_iter', batch_idx=b, data_batch=data_batch)
            with torch.no_grad(), autocast(self.device, self.autocast_dtype):
                if mode == 'predict':
                    outputs = _record_losses(step(data_batch), losses)
                    self.evaluator.process(data_samples=outputs, data_batch=data_batch)
                else:
                    data = model.data_preprocessor(dict(inputs=inputs, data_samples=None), False)
                    score, pred = head.batch_predictions(model(data['inputs'], mode='tensor'))
                    scores.append(score)
                    preds.append(pred)
                    gts.append(labels)
                    outputs = None
            runner.call_hook(f'after_{stage}_iter', batch_idx=b, data_batch=data_batch,
                             outputs=outputs)
        if mode != 'predict':  # one copy to the host per evaluation
            self.evaluator.process(
                data_samples=_prediction_dicts(
                    torch.cat(scores).cpu(), torch.cat(preds).cpu(), torch.cat(gts).cpu()))
        metrics = self.evaluator.evaluate(self.data.num_samples)
        if losses:
            metrics.update(_mean_losses(losses, stage))
        runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
        runner.call_hook(f'after_{stage}')
        return metrics


@LOOPS.register_module()
class GPUValLoop(_GPUEvalMixin, ValLoop):
    """Validation on device-resident data (see the module docstring).

    Args:
        runner, dataloader, evaluator, fp16: as :class:`mmengine.runner.ValLoop`.
        mode (str): ``'auto'`` (default), ``'logits'`` (the head's batched
            ``batch_predictions`` of ``model(x, mode='tensor')``) or ``'predict'``
            (``model.val_step``).
        batch_size (int, optional): evaluation batch size; default the dataloader's.
        autocast_dtype (str, optional): autocast dtype for the forward (``fp16=True`` means
            ``'float16'``). Default None.
        channels_last (bool): channels-last inputs. Default False.
        decode_workers (int, optional): threads decoding the images once.
    """

    stage = 'val'


@LOOPS.register_module()
class GPUTestLoop(_GPUEvalMixin, TestLoop):
    """Test on device-resident data; same arguments as :class:`GPUValLoop`."""

    stage = 'test'
