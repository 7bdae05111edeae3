"""DeVriesCutout: the Cutout of the DBM / CUDA-LTR code (a square clipped at the borders), from
https://arxiv.org/abs/1708.04552."""
import numpy as np
from mmpretrain.registry import TRANSFORMS

import mmltr  # noqa: F401  (registers DeVriesCutout)


def test_devries_cutout_matches_reference():
    def reference(h, w, length=16):  # CUDA-LTR / DBM `Cutout(n_holes=1, length=16)` mask
        mask = np.ones((h, w), np.float32)
        y, x = np.random.randint(h), np.random.randint(w)
        y1, y2 = np.clip(y - length // 2, 0, h), np.clip(y + length // 2, 0, h)
        x1, x2 = np.clip(x - length // 2, 0, w), np.clip(x + length // 2, 0, w)
        mask[y1:y2, x1:x2] = 0.
        return mask

    t = TRANSFORMS.build(dict(type='DeVriesCutout', length=16))
    img = np.full((32, 32, 3), 200, np.uint8)
    areas = []
    for seed in range(300):
        np.random.seed(seed)
        out = t(dict(img=img.copy()))['img']
        np.random.seed(seed)
        ref = reference(32, 32)
        assert np.array_equal(out[..., 0] == 0, ref == 0)
        assert np.all(out[ref == 1] == 200) and np.all(out[ref == 0] == 0)
        areas.append(int((ref == 0).sum()))
    assert min(areas) < 16 * 16 == max(areas)  # holes are clipped at the borders
    colour = TRANSFORMS.build(dict(type='DeVriesCutout', length=8, n_holes=2, pad_val=(1, 2, 3)))
    out = colour(dict(img=img.copy()))['img']
    assert set(map(tuple, out.reshape(-1, 3))) <= {(200, 200, 200), (1, 2, 3)}
