"""Difficulty-Net's own CIFAR training augmentation (its released code, not the DBM recipe's).

Sinha & Ohashi, Difficulty-Net: Learning to Predict Difficulty for Long-Tailed Recognition,
WACV 2023, https://arxiv.org/abs/2209.02960. The released CIFAR pipeline applies AutoAugment's
CIFAR-10 policy (Cubuk et al., AutoAugment: Learning Augmentation Policies from Data, CVPR 2019,
https://arxiv.org/abs/1805.09501) with its own op implementations, then a Cutout filled with the
image mean:

* :class:`DifficultyNetAutoAugment`: one of the 25 sub-policies per image; each op fires with its
  probability. An op's magnitude index ``m`` (0..9) selects the interval between the points
  ``m`` and ``m + 1`` of an 11-point scale, and the magnitude is drawn **uniformly in that
  interval**. The geometric scales are signed, so the index fixes the direction (Rotate index 2:
  U(-18°, -12°); Translate index 9: U(0.363, 0.453) of the image side), there is no random sign.
  Geometric ops are cubic-spline affine warps (``scipy.ndimage.affine_transform``, order 3)
  about the point ``(H/2 + 0.5, W/2 + 0.5)``, filled with 0; photometric ops are PIL's.
* :class:`MeanCutout`: one ``length`` x ``length`` hole filled with the mean of the whole image
  (all channels, truncated to the image dtype). Its top row is drawn from
  ``[-length // 2, H - length)`` and clipped at 0, its left column independently from
  ``[-length // 2, W - length)``, clipped at 0. The released Cutout sets ``left = top`` after
  clipping (``left = 0 if left < 0 else top``), which puts the hole on the diagonal; this
  transform does **not** copy that bug: the left column is its own draw.

The released code draws its random numbers with Python's ``random``; these transforms use
``numpy.random`` (seeded per dataloader worker by MMEngine), so the distributions are the same
but not the streams.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmpretrain.registry import TRANSFORMS
from PIL import Image, ImageEnhance, ImageOps

#: The 11-point scale of each op (the magnitude of index m lies between points m and m + 1).
SCALES: Dict[str, Tuple[float, float]] = dict(
    ShearX=(-0.3, 0.3), ShearY=(-0.3, 0.3), TranslateX=(-150 / 331, 150 / 331),
    TranslateY=(-150 / 331, 150 / 331), Rotate=(-30.0, 30.0), Solarize=(0.0, 256.0),
    Posterize=(4.0, 8.0), Contrast=(0.1, 1.9), Color=(0.1, 1.9), Brightness=(0.1, 1.9),
    Sharpness=(0.1, 1.9))

#: AutoAugment's CIFAR-10 policy as in the released code: (op, probability, magnitude index).
#: AutoContrast, Equalize and Invert ignore the magnitude; the released list's
#: ['Solarize', 0.5, 2, 'Invert', 0, 0.3] gives Invert probability 0.
CIFAR10_POLICY: List[Tuple[Tuple[str, float, int], ...]] = [
    (('Invert', 0.1, 7), ('Contrast', 0.2, 6)),
    (('Rotate', 0.7, 2), ('TranslateX', 0.3, 9)),
    (('Sharpness', 0.8, 1), ('Sharpness', 0.9, 3)),
    (('ShearY', 0.5, 8), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.5, 8), ('Equalize', 0.9, 2)),
    (('ShearY', 0.2, 7), ('Posterize', 0.3, 7)),
    (('Color', 0.4, 3), ('Brightness', 0.6, 7)),
    (('Sharpness', 0.3, 9), ('Brightness', 0.7, 9)),
    (('Equalize', 0.6, 5), ('Equalize', 0.5, 1)),
    (('Contrast', 0.6, 7), ('Sharpness', 0.6, 5)),
    (('Color', 0.7, 7), ('TranslateX', 0.5, 8)),
    (('Equalize', 0.3, 7), ('AutoContrast', 0.4, 8)),
    (('TranslateY', 0.4, 3), ('Sharpness', 0.2, 6)),
    (('Brightness', 0.9, 6), ('Color', 0.2, 8)),
    (('Solarize', 0.5, 2), ('Invert', 0.0, 0)),
    (('Equalize', 0.2, 0), ('AutoContrast', 0.6, 0)),
    (('Equalize', 0.2, 8), ('Equalize', 0.6, 4)),
    (('Color', 0.9, 9), ('Equalize', 0.6, 6)),
    (('AutoContrast', 0.8, 4), ('Solarize', 0.2, 8)),
    (('Brightness', 0.1, 3), ('Color', 0.7, 0)),
    (('Solarize', 0.4, 5), ('AutoContrast', 0.9, 3)),
    (('TranslateY', 0.9, 9), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.9, 2), ('Solarize', 0.8, 3)),
    (('Equalize', 0.8, 8), ('Invert', 0.1, 3)),
    (('TranslateY', 0.7, 9), ('AutoContrast', 0.9, 1)),
]


def magnitude_interval(op: str, index: int) -> Tuple[float, float]:
    """``(low, high)``: points ``index`` and ``index + 1`` of the op's 11-point scale."""
    lo, hi = SCALES[op]
    points = np.linspace(lo, hi, 11)
    return float(points[index]), float(points[index + 1])


# -- geometric ops: cubic-spline affine warps of each channel, zero fill -----------------------
def _warp(img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.affine_transform`` of every channel with ``matrix`` (row, column
    coordinates) conjugated to the point ``(H/2 + 0.5, W/2 + 0.5)``; order 3, constant 0."""
    from scipy import ndimage
    h, w = img.shape[:2]
    centre = np.array([[1, 0, h / 2 + 0.5], [0, 1, w / 2 + 0.5], [0, 0, 1]])
    back = np.array([[1, 0, -(h / 2 + 0.5)], [0, 1, -(w / 2 + 0.5)], [0, 0, 1]])
    full = centre @ matrix @ back
    planes = img[:, :, None] if img.ndim == 2 else img
    out = np.stack([ndimage.affine_transform(planes[:, :, c], full[:2, :2], full[:2, 2])
                    for c in range(planes.shape[2])], axis=2)
    return out[:, :, 0] if img.ndim == 2 else out


def shear_x(img, m):
    return _warp(img, np.array([[1, m, 0], [0, 1, 0], [0, 0, 1]]))


def shear_y(img, m):
    return _warp(img, np.array([[1, 0, 0], [m, 1, 0], [0, 0, 1]]))


def translate_x(img, m):
    return _warp(img, np.array([[1, 0, 0], [0, 1, img.shape[1] * m], [0, 0, 1]]))


def translate_y(img, m):
    return _warp(img, np.array([[1, 0, img.shape[0] * m], [0, 1, 0], [0, 0, 1]]))


def rotate(img, degrees):
    t = np.deg2rad(degrees)
    return _warp(img, np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0],
                                [0, 0, 1]]))


# -- photometric ops: PIL's ---------------------------------------------------------------------
def _pil(fn: Callable) -> Callable:

    def op(img: np.ndarray, m: Optional[float]) -> np.ndarray:
        pil = Image.fromarray(img[:, :, 0] if img.ndim == 3 and img.shape[2] == 1 else img)
        out = np.asarray(fn(pil, m))
        return out.reshape(img.shape)

    return op


OPS: Dict[str, Callable[[np.ndarray, Optional[float]], np.ndarray]] = dict(
    ShearX=shear_x, ShearY=shear_y, TranslateX=translate_x, TranslateY=translate_y,
    Rotate=rotate,
    AutoContrast=_pil(lambda im, m: ImageOps.autocontrast(im)),
    Invert=_pil(lambda im, m: ImageOps.invert(im)),
    Equalize=_pil(lambda im, m: ImageOps.equalize(im)),
    Solarize=_pil(lambda im, m: ImageOps.solarize(im, m)),
    Posterize=_pil(lambda im, m: ImageOps.posterize(im, int(round(m)))),
    Contrast=_pil(lambda im, m: ImageEnhance.Contrast(im).enhance(m)),
    Color=_pil(lambda im, m: ImageEnhance.Color(im).enhance(m)),
    Brightness=_pil(lambda im, m: ImageEnhance.Brightness(im).enhance(m)),
    Sharpness=_pil(lambda im, m: ImageEnhance.Sharpness(im).enhance(m)))


@TRANSFORMS.register_module()
class DifficultyNetAutoAugment(BaseTransform):
    """AutoAugment's CIFAR-10 policy as Difficulty-Net's released CIFAR code applies it (see the
    module docstring): uniform magnitudes between adjacent steps of signed scales, cubic-spline
    warps filled with 0, PIL's photometric ops.

    Args:
        channel_order (str): ``'rgb'`` (mmltr's CIFAR datasets decode the pickles to RGB) or
            ``'bgr'`` (``LoadImageFromFile``); Color and Contrast blend with the image's
            luminance, which depends on it. Defaults to ``'rgb'``.
        policies (list, optional): sub-policies of ``(op, probability, magnitude index)``
            tuples; defaults to :data:`CIFAR10_POLICY`.
    """

    def __init__(self, channel_order: str = 'rgb',
                 policies: Optional[Sequence[Sequence[Sequence]]] = None) -> None:
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(f"DifficultyNetAutoAugment: channel_order must be 'rgb' or 'bgr', "
                             f'got {channel_order!r}.')
        self.channel_order = channel_order
        self.policies = [tuple((str(o), float(p), int(m)) for o, p, m in sub)
                         for sub in (CIFAR10_POLICY if policies is None else policies)]
        for sub in self.policies:
            for op, prob, index in sub:
                if op not in OPS:
                    raise ValueError(f'DifficultyNetAutoAugment: unknown op {op!r}; ops: '
                                     f'{sorted(OPS)}.')
                if not 0.0 <= prob <= 1.0 or not 0 <= index <= 9:
                    raise ValueError(f'DifficultyNetAutoAugment: ({op!r}, {prob}, {index}) '
                                     'needs a probability in [0, 1] and an index in 0..9.')

    @cache_randomness
    def _draw(self) -> List[Tuple[str, Optional[float]]]:
        """The ops that fire for one image, with their magnitudes."""
        sub = self.policies[np.random.randint(len(self.policies))]
        fired = []
        for op, prob, index in sub:
            if np.random.rand() < prob:
                magnitude = (np.random.uniform(*magnitude_interval(op, index))
                             if op in SCALES else None)
                fired.append((op, magnitude))
        return fired

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'DifficultyNetAutoAugment works on uint8 images, got {img.dtype}.')
        bgr = self.channel_order == 'bgr' and img.ndim == 3 and img.shape[2] == 3
        out = img[:, :, ::-1] if bgr else img
        for op, magnitude in self._draw():
            out = OPS[op](np.ascontiguousarray(out), magnitude)
        results['img'] = np.ascontiguousarray(out[:, :, ::-1] if bgr else out)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(channel_order={self.channel_order!r}, '
                f'{len(self.policies)} sub-policies)')


@TRANSFORMS.register_module()
class MeanCutout(BaseTransform):
    """Difficulty-Net's CIFAR Cutout without its ``left = top`` bug (see the module docstring):
    one ``length`` x ``length`` hole, filled with the mean of the whole image, top and left drawn
    independently from ``[-length // 2, size - length)`` and clipped at 0.

    Args:
        length (int): side of the hole in pixels. Defaults to 16.
    """

    def __init__(self, length: int = 16) -> None:
        if isinstance(length, bool) or int(length) != length or length <= 0:
            raise ValueError(f'MeanCutout: length must be a positive int, got {length!r}.')
        self.length = int(length)

    @cache_randomness
    def _corner(self, h: int, w: int) -> Tuple[int, int]:
        if h <= self.length or w <= self.length:
            raise ValueError(f'MeanCutout: the image ({h}x{w}) must be larger than the hole '
                             f'(length={self.length}).')
        low = -(self.length // 2)
        return int(np.random.randint(low, h - self.length)), int(
            np.random.randint(low, w - self.length))

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left = self._corner(*img.shape[:2])
        out = img.copy()
        out[max(top, 0):top + self.length, max(left, 0):left + self.length] = img.mean()
        results['img'] = out
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(length={self.length})'
