"""Run-time environment helpers used by mmltr's tools."""
import os
import os.path as osp
from contextlib import contextmanager
from copy import deepcopy
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.runner import Runner
from mmpretrain.registry import RUNNERS


def parse_tool_args(parser, argv=None, work_dir_help: str = 'the dir to save logs and models',
                    cfg_options_example: str = 'train_dataloader.dataset.imbalance_factor=50'):
    """Add the flags MMPretrain's ``tools/train.py`` and ``tools/test.py`` share to ``parser``
    and parse ``argv``: ``--work-dir``, ``--cfg-options k=v ...`` (lists as ``key="[a,b]"`` or
    ``key=a,b``, no white space), ``--no-pin-memory`` and :func:`parse_launcher_args`'
    ``--launcher``/``--local_rank``."""
    parser.add_argument('--work-dir', help=work_dir_help)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=f'override config settings, e.g. {cfg_options_example}; a list as '
                        'key="[a,b]" or key=a,b (quotes needed, no white space)')
    parser.add_argument('--no-pin-memory', action='store_true',
                        help='set pin_memory=False in the dataloaders')
    return parse_launcher_args(parser, argv)


def load_tool_config(args) -> Config:
    """``args.config`` loaded, with the ``launcher`` given on the command line."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    return cfg


def set_default_dataloader_cfg(cfg, fields, no_pin_memory: bool = False,
                               no_persistent_workers: Optional[bool] = None) -> None:
    """MMPretrain's tools' dataloader defaults for the ``fields`` of ``cfg`` that are set.

    Each loader gets ``pin_memory=True``, ``collate_fn=dict(type='default_collate')`` and, when
    ``no_persistent_workers`` is not None (``tools/train.py``), ``persistent_workers=True``, unless
    the config sets them. ``--no-pin-memory`` / ``--no-persistent-workers`` then switch them off.
    Unlike MMPretrain, ``persistent_workers`` is not defaulted on a loader with ``num_workers=0``
    (PyTorch refuses that pair).
    """
    for field in fields:
        if cfg.get(field, None) is None:
            continue
        loader = ConfigDict(pin_memory=True, collate_fn=dict(type='default_collate'))
        if no_persistent_workers is not None and cfg[field].get('num_workers', 0) > 0:
            loader.persistent_workers = True
        loader.update(deepcopy(cfg[field]))
        if no_pin_memory:
            loader.pin_memory = False
        if no_persistent_workers:
            loader.persistent_workers = False
        cfg[field] = loader


def parse_launcher_args(parser, argv=None):
    """Add ``--launcher`` and ``--local_rank`` (as MMPretrain's tools) to ``parser`` and parse.

    ``LOCAL_RANK`` is exported from ``--local_rank`` when the launcher did not set it.
    """
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torchrun passes LOCAL_RANK in the environment; older launchers pass --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def set_work_dir(cfg, work_dir, config_path: str) -> None:
    """``cfg.work_dir``: ``work_dir`` (``--work-dir``) when given, else the config's own, else
    ``./work_dirs/<config file name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def setup_distributed_without_gpu(cfg, logger_fn=print) -> None:
    """Let ``tools/dist_train.sh`` / ``dist_test.sh`` run on machines without a GPU.

    MMEngine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` before creating the
    process group and its default DDP wrapper pins ``device_ids=[LOCAL_RANK]``; both fail without
    CUDA, and MMPretrain's runtime asks for the nccl backend. When a distributed launcher is used
    and no GPU is visible, this switches to gloo, creates the process group itself (MMEngine then
    skips ``init_dist``) and wraps the model for CPU (``device_ids=None``). With a GPU it does
    nothing.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ValueError(f'Without a GPU only the pytorch launcher (torchrun, tools/dist_train.sh) '
                         f'is supported, got launcher={launcher!r}.')
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend=dist_cfg['backend'], init_method='env://')
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.setdefault('device_ids', None)  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper
    if torch_dist.get_rank() == 0:
        logger_fn(f'mmltr: no GPU visible, running {torch_dist.get_world_size()} processes with '
                  f'the {dist_cfg["backend"]} backend on CPU.')


def build_runner(cfg):
    """The runner ``cfg`` asks for, as MMPretrain's tools build it: ``RUNNERS.build(cfg)`` when
    the config sets ``runner_type``, else ``Runner.from_cfg(cfg)``; first
    :func:`setup_distributed_without_gpu` (nothing to do with ``launcher='none'``)."""
    setup_distributed_without_gpu(cfg)
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


def lr_batch_mismatch(cfg, world_size: int) -> Optional[str]:
    """A warning when the total training batch differs from the one the config's lr is for.

    The total batch is ``world_size`` x ``train_dataloader.batch_size``. With
    ``auto_scale_lr.base_batch_size`` set and ``auto_scale_lr.enable`` off (no
    ``--auto-scale-lr``), a different total batch trains with an lr meant for another batch: the
    most common cause of numbers below a recipe's. Returns the message, or None when the batch
    matches, the lr is scaled, or the config names no base batch.
    """
    auto_scale_lr = cfg.get('auto_scale_lr') or {}
    base = auto_scale_lr.get('base_batch_size')
    loader = cfg.get('train_dataloader') or {}
    per_gpu = loader.get('batch_size')
    if base is None or per_gpu is None or auto_scale_lr.get('enable', False):
        return None
    total = int(world_size) * int(per_gpu)
    if total == int(base):
        return None
    return (f'The total training batch is {total} ({world_size} process(es) x {per_gpu}), but the '
            f'learning rate in this config is for a total batch of {base} '
            f'(auto_scale_lr.base_batch_size). Add --auto-scale-lr to scale the lr linearly to '
            f'{total}, or train with {base} in total (number of GPUs x '
            f'train_dataloader.batch_size).')


@contextmanager
def distributed_session():
    """Run a tool's work, then destroy the process group it created (if any).

    Without an explicit ``destroy_process_group()`` the gloo process group of a CPU run is torn
    down while the interpreter exits: its C++ worker threads are then destroyed while still
    joinable, and a rank can abort with ``terminate called without an active exception`` (exit
    status 1 after a successful run). On success the ranks first meet at a barrier, so no rank
    tears down its group while another still talks to it; after an error the group is destroyed
    without one (the other ranks may never get there).
    """
    try:
        yield
    except BaseException:
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.destroy_process_group()
        raise
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
