"""Run-time environment helpers used by mmltr's tools."""
import torch


def select_dist_backend(cfg, logger_fn=print) -> None:
    """Use gloo instead of nccl when no GPU is visible, so ``dist_train.sh`` also runs on CPU.

    MMPretrain's default runtime asks for nccl, which cannot start without CUDA; a launch with
    ``--launcher pytorch`` on a CPU machine would otherwise fail inside ``init_process_group``.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
        logger_fn('mmltr: no CUDA device visible, using the gloo backend for distributed runs.')
