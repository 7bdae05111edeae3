"""Run-time environment helpers used by mmltr's tools."""
import torch
import torch.distributed as torch_dist


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
