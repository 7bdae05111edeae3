from .setup_env import select_dist_backend  # noqa: F401
