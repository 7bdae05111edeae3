from .misc import check_class_counts, unwrap_model  # noqa: F401
from .setup_env import (parse_launcher_args, set_work_dir,  # noqa: F401
                        setup_distributed_without_gpu)
