"""The fast path for small-image datasets: device-resident data, batched augmentation.

``GPUEpochBasedTrainLoop``, ``GPUValLoop`` and ``GPUTestLoop`` replace MMEngine's loops for
datasets whose images all have the same small size (CIFAR-LT, Fashion-MNIST-LT). Add
``configs/_base_/fast_path.py`` to a config's ``_base_`` to use them (:class:`FastPathRunner`
switches the loops); everything else in the config (model, loss, schedule, hooks, evaluator,
datasets) stays as it is.

* :mod:`.data`: decoding a dataset once, ``DeviceDataset``, ``DeviceDataLoader``;
* :mod:`.samples`: a batch's data samples (``LabelBatch``: the labels as one tensor);
* :mod:`.geometric`, :mod:`.photometric`, :mod:`.filters`, :mod:`.color`: batched image kernels;
* :mod:`.ops`: the op table (MMPretrain's augmentation ops -> kernels, random parameters);
* :mod:`.difficulty_net_ops`: Difficulty-Net's CIFAR augmentation, with its kernels
  :mod:`.spline_warp` (SciPy's cubic-spline warps) and :mod:`.pil_photometric` (PIL's colour ops);
* :mod:`.pipeline`: a CPU training pipeline translated into batched steps (with those of
  :mod:`.contrastive` and the ``RandomApply`` / ``MultiView`` wrappers of :mod:`.wrappers`);
* :mod:`.train_loop`, :mod:`.eval_loop`: the loops; :mod:`.runner`: switching a config on.

Options (all off by default): ``autocast_dtype='bfloat16'`` runs ``train_step`` (or the eval
forward) under ``torch.autocast``; ``channels_last=True`` converts the model and the inputs to
channels-last. Their effect on accuracy has to be measured on the GPU before they become defaults.
"""
from .data import DeviceDataLoader, DeviceDataset, decode_dataset
from .eval_loop import GPUTestLoop, GPUValLoop
from .pipeline import BatchPipeline, build_batch_pipeline
from .runner import FastPathRunner, apply_fast_path
from .samples import LabelBatch
from .train_loop import GPUEpochBasedTrainLoop
from .utils import UnsupportedTransformError

__all__ = [
    'GPUEpochBasedTrainLoop', 'GPUValLoop', 'GPUTestLoop', 'FastPathRunner', 'apply_fast_path',
    'DeviceDataset', 'DeviceDataLoader', 'decode_dataset', 'LabelBatch', 'BatchPipeline',
    'build_batch_pipeline', 'UnsupportedTransformError'
]
