from . import hooks, loops, optimizers  # noqa: F401
