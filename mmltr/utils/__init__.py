from .misc import check_class_counts, unwrap_model
from .setup_env import (
    build_runner,
    distributed_session,
    load_tool_config,
    lr_batch_mismatch,
    parse_launcher_args,
    parse_tool_args,
    set_default_dataloader_cfg,
    set_work_dir,
    setup_distributed_without_gpu,
)

__all__ = [
    'build_runner', 'check_class_counts', 'distributed_session', 'load_tool_config',
    'lr_batch_mismatch', 'parse_launcher_args', 'parse_tool_args', 'set_default_dataloader_cfg',
    'set_work_dir', 'setup_distributed_without_gpu', 'unwrap_model'
]
