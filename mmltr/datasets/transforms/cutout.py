"""Data transforms of the long-tailed recipes that MMPretrain lacks in the exact form."""
from numbers import Number
from typing import Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DeVriesCutout(BaseTransform):
    """Cutout of DeVries & Taylor (Improved Regularization of Convolutional Neural Networks with
    Cutout, 2017, https://arxiv.org/abs/1708.04552), as used by the CUDA-LTR / DBM / BCL CIFAR
    recipes.

    ``n_holes`` times: draw an integer centre ``(y, x)`` uniformly over the image, fill rows
    ``clip(y - L//2, 0, H) : clip(y + L//2, 0, H)`` and the same columns with ``pad_val``. Holes are
    clipped at all four borders, so a hole near a border is smaller.

    MMPretrain's ``Cutout(shape=16)`` differs: it applies with ``prob=0.5`` by default, and
    ``mmcv.cutout`` shifts a hole that crosses the top/left border back inside (always ``L`` rows
    there) while clipping at the bottom/right, so on 32x32 images it cuts ~16% more area on average
    (228 vs 196 px) and is biased towards the top-left corner.

    Fill: the LT recipes (CUDA-LTR's ``cifar/aug/transforms.py``, which DBM's CIFAR code builds
    on) apply Cutout to the ``ToTensor`` output *before* ``Normalize``, so holes are black:
    ``pad_val=0`` (default). DeVries' own code cuts after normalisation, i.e. fills with the mean
    colour: pass the mean in the image's channel order for that.

    Args:
        length (int): side of the square hole in pixels. Defaults to 16.
        n_holes (int): number of holes. Defaults to 1.
        pad_val (Number | Sequence[Number]): fill value (per channel if a sequence). Defaults to 0.
    """

    def __init__(self, length: int = 16, n_holes: int = 1,
                 pad_val: Union[Number, Sequence[Number]] = 0) -> None:
        if int(length) <= 0 or int(n_holes) <= 0:
            raise ValueError(f'DeVriesCutout: length and n_holes must be positive, got {length}, '
                             f'{n_holes}.')
        self.length = int(length)
        self.n_holes = int(n_holes)
        self.pad_val = tuple(pad_val) if isinstance(pad_val, Sequence) else pad_val

    @cache_randomness
    def _centres(self, h: int, w: int) -> np.ndarray:
        return np.stack([np.random.randint(h, size=self.n_holes),
                         np.random.randint(w, size=self.n_holes)], axis=1)

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        out = img.copy()
        fill = np.asarray(self.pad_val, dtype=img.dtype)
        if img.ndim == 3 and fill.ndim == 1 and fill.size != img.shape[2]:
            raise ValueError(f'DeVriesCutout: pad_val has {fill.size} values for an image with '
                             f'{img.shape[2]} channels.')
        half = self.length // 2
        for y, x in self._centres(h, w):
            y1, y2 = np.clip([y - half, y + half], 0, h)
            x1, x2 = np.clip([x - half, x + half], 0, w)
            out[y1:y2, x1:x2] = fill
        results['img'] = out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(length={self.length}, n_holes={self.n_holes}, '
                f'pad_val={self.pad_val})')
