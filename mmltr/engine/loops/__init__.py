# Each module registers its loops into mmpretrain.registry.LOOPS (and the runner into RUNNERS).
from .fast_path import FastPathRunner, apply_fast_path  # noqa: F401
from .gpu_loops import GPUEpochBasedTrainLoop, GPUTestLoop, GPUValLoop  # noqa: F401
