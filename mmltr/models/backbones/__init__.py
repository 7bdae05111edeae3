# Each module registers its classes into mmpretrain.registry.MODELS on import.
from .resnet10 import ResNet10  # noqa: F401
from .resnet32_cifar import ResNet32_CIFAR  # noqa: F401
