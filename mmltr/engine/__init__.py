from . import fast_path, hooks, optimizers  # noqa: F401
