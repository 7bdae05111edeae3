"""mmltr: long-tailed recognition for OpenMMLab MMPretrain.

Importing ``mmltr`` (configs do it through
``custom_imports=dict(imports=['mmltr'], allow_failed_imports=False)``) registers every mmltr
model, dataset, sampler, metric and hook into MMPretrain's registries, so configs keep
``default_scope='mmpretrain'`` and can mix mmltr and MMPretrain components freely.
"""
# compat (imported first) patches mmengine's checkpoint loader for torch>=2.6; registry adds the
# `mmltr` scope (for `mmltr::` base configs); the others register their modules
from . import compat, registry  # noqa: F401, I001
from . import datasets, engine, evaluation, models, utils  # noqa: F401
from .version import __version__

__all__ = ['__version__']
