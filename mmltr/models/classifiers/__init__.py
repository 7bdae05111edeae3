# Each module registers its classes into mmpretrain.registry.MODELS on import.
