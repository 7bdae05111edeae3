# Each module registers its classes into mmpretrain.registry.METRICS.
