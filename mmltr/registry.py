"""The ``mmltr`` registry scope: ``mmltr::`` configs build with MMPretrain's registries.

mmltr registers its modules into MMPretrain's registries (configs keep
``default_scope='mmpretrain'``). A config that inherits ``mmltr::<path>`` (a base config shipped in
``mmltr/.mim/configs``) gets ``_scope_='mmltr'`` on the dicts it takes from there, so MMEngine looks
for registries of scope ``mmltr``: each registry here is an empty child of MMPretrain's of the
same name, and every lookup falls through to MMPretrain's (mmltr's and MMPretrain's modules) and
MMEngine's. Importing this module also tells MMEngine that the ``mmltr::`` prefix names the
``mmltr`` package.
"""
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

MODULE2PACKAGE.setdefault('mmltr', 'mmltr')


def _child(parent: Registry) -> Registry:
    # importing `mmltr` registers all of mmltr's modules (into MMPretrain's registries)
    return Registry(parent.name, parent=parent, scope='mmltr', locations=['mmltr'])


# the registries MMPretrain defines for its own scope (not its MMENGINE_* aliases)
BATCH_AUGMENTS = _child(mmpretrain_registry.BATCH_AUGMENTS)
DATASETS = _child(mmpretrain_registry.DATASETS)
DATA_SAMPLERS = _child(mmpretrain_registry.DATA_SAMPLERS)
EVALUATORS = _child(mmpretrain_registry.EVALUATORS)
HOOKS = _child(mmpretrain_registry.HOOKS)
LOG_PROCESSORS = _child(mmpretrain_registry.LOG_PROCESSORS)
LOOPS = _child(mmpretrain_registry.LOOPS)
METRICS = _child(mmpretrain_registry.METRICS)
MODELS = _child(mmpretrain_registry.MODELS)
MODEL_WRAPPERS = _child(mmpretrain_registry.MODEL_WRAPPERS)
OPTIMIZERS = _child(mmpretrain_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _child(mmpretrain_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child(mmpretrain_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child(mmpretrain_registry.PARAM_SCHEDULERS)
RUNNERS = _child(mmpretrain_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _child(mmpretrain_registry.RUNNER_CONSTRUCTORS)
TASK_UTILS = _child(mmpretrain_registry.TASK_UTILS)
TOKENIZER = _child(mmpretrain_registry.TOKENIZER)
TRANSFORMS = _child(mmpretrain_registry.TRANSFORMS)
VISBACKENDS = _child(mmpretrain_registry.VISBACKENDS)
VISUALIZERS = _child(mmpretrain_registry.VISUALIZERS)
WEIGHT_INITIALIZERS = _child(mmpretrain_registry.WEIGHT_INITIALIZERS)
