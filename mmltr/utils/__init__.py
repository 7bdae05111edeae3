from .setup_env import setup_distributed_without_gpu  # noqa: F401
