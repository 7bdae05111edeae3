"""Run-time environment helpers used by mmltr's tools."""
import os
import os.path as osp

import torch
import torch.distributed as torch_dist


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
    CUDA, and MMPretrain's runtime asks for the nccl backend. When a distributed launcher is used and
    no GPU is visible, this switches to gloo, creates the process group itself (MMEngine then skips
    ``init_dist``) and wraps the model for CPU (``device_ids=None``). With a GPU it does nothing.
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
        logger_fn(f'mmltr: no GPU visible, running {torch_dist.get_world_size()} processes with the '
                  f'{dist_cfg["backend"]} backend on CPU.')
