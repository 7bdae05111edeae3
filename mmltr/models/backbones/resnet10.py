"""ResNet-10: the small ImageNet-LT backbone of OLTR / Decoupling / MiSLAS / Difficulty-Net."""
from mmpretrain.models.backbones import ResNet
from mmpretrain.models.backbones.resnet import BasicBlock
from mmpretrain.registry import MODELS


@MODELS.register_module()
class ResNet10(ResNet):
    """MMPretrain's ``ResNet`` with the extra depth 10: BasicBlock × (1, 1, 1, 1), 512-d output.

    The long-tail literature's ResNet-10 (OLTR's ``resnet10``) is the torchvision-style ResNet with
    one BasicBlock per stage (~5.0M parameters without the classifier). Every other argument is
    MMPretrain's ``ResNet``'s; the usual depths (18 ... 152) stay available.
    """

    arch_settings = {10: (BasicBlock, (1, 1, 1, 1)), **ResNet.arch_settings}

    def __init__(self, depth: int = 10, **kwargs) -> None:
        super().__init__(depth=depth, **kwargs)
