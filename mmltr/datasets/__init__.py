# Each module registers its classes into mmpretrain.registry (DATASETS / DATA_SAMPLERS).
