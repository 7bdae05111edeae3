"""The long-tailed protocol (``mmltr.datasets.imbalance``) and the per-class index lists."""
import numpy as np
import pytest

from mmltr.datasets import (
    class_indices,
    long_tailed_indices,
    lt_class_sizes,
    lt_counts_from_available,
)

# Per-class sizes of the standard CIFAR-LT splits (LDAM-DRW's generator, the numbers every paper
# uses): (C, IF) -> total, max, min, and the many (> 100) / medium (20-100) / few (< 20) classes.
TABLE = {
    (10, 10): (20431, 5000, 500, 10, 0, 0),
    (10, 50): (13996, 5000, 100, 9, 1, 0),
    (10, 100): (12406, 5000, 50, 8, 2, 0),
    (10, 200): (11203, 5000, 25, 7, 3, 0),
    (100, 10): (19573, 500, 50, 69, 31, 0),
    (100, 20): (15907, 500, 25, 53, 47, 0),
    (100, 50): (12608, 500, 10, 41, 41, 18),
    (100, 100): (10847, 500, 5, 35, 35, 30),
    (100, 200): (9502, 500, 2, 30, 31, 39),
}
C10_IF100 = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


def ldam_reference(labels, num_classes, imbalance_factor, seed=0, n_max=None):
    """LDAM-DRW's IMBALANCECIFAR10.gen_imbalanced_data with the *global* numpy RNG."""
    labels = np.asarray(labels)
    if n_max is None:
        n_max = len(labels) / num_classes
    img_num = [int(n_max * ((1. / imbalance_factor)**(c / (num_classes - 1.0))))
               for c in range(num_classes)]
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        selected = []
        for the_class, the_img_num in zip(np.unique(labels), img_num):
            idx = np.where(labels == the_class)[0]
            np.random.shuffle(idx)
            selected.append(idx[:the_img_num])
    finally:
        np.random.set_state(state)
    return np.concatenate(selected)


@pytest.mark.parametrize('key', sorted(TABLE), ids=[f'C{c}-IF{i}' for c, i in sorted(TABLE)])
def test_class_sizes_match_published_table(key):
    num_classes, imbalance_factor = key
    total, n_max, n_min, many, medium, few = TABLE[key]
    sizes = np.array(lt_class_sizes(5000 if num_classes == 10 else 500, num_classes,
                                    imbalance_factor))
    assert (sizes.sum(), sizes.max(), sizes.min()) == (total, n_max, n_min)
    assert ((sizes > 100).sum(), ((sizes >= 20) & (sizes <= 100)).sum(),
            (sizes < 20).sum()) == (many, medium, few)
    assert (np.diff(sizes) <= 0).all()


def test_class_sizes_special_cases():
    assert lt_class_sizes(5000, 10, 100) == C10_IF100
    assert lt_class_sizes(5000, 10, 1) == [5000] * 10
    assert lt_class_sizes(5000, 10, 100, 'step') == [5000] * 5 + [50] * 5
    assert lt_class_sizes(500, 5, 10, 'step') == [500, 500, 50, 50, 50]  # odd C: tail gets n/IF
    # Difficulty-Net: 25/class held out first -> n_max 475, min 4 at IF100, total 10,302 (C100)
    sizes = lt_class_sizes(475, 100, 100)
    assert (sum(sizes), max(sizes), min(sizes)) == (10302, 475, 4)
    assert lt_counts_from_available([500] * 100, 100, meta_per_class=25) == sizes


def test_local_rng_equals_global_seed_and_shuffle():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 7, 3000)
    for seed in (0, 1, 123):
        ours, counts = long_tailed_indices(labels, 7, 37.5, seed=seed)
        ref = ldam_reference(labels, 7, 37.5, seed=seed, n_max=np.bincount(labels).max())
        np.testing.assert_array_equal(ours, ref)
        assert counts == np.bincount(labels[ours], minlength=7).tolist()


def test_protocol_leaves_global_rng_alone():
    np.random.seed(42)
    before = np.random.get_state()[1].copy()
    long_tailed_indices(np.repeat(np.arange(10), 50), 10, 10, seed=0)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_class_indices_are_the_file_order_positions_of_each_class():
    labels = np.random.default_rng(0).integers(-1, 8, 500)  # -1 and 7 lie outside 0..6
    per_class = class_indices(labels, 7)
    assert len(per_class) == 7
    for c, idx in enumerate(per_class):
        np.testing.assert_array_equal(idx, np.flatnonzero(labels == c))
    assert [len(i) for i in class_indices(np.array([2, 2]), 4)] == [0, 0, 2, 0]
    assert class_indices(np.zeros(0, np.int64), 3)[2].size == 0


def test_emptied_classes_warn_naming_them():
    labels = np.repeat(np.arange(10), 100)
    with pytest.warns(UserWarning, match=r'leaves 2 class\(es\) with 0 training images \(classes '
                      r'8, 9;'):
        _, counts = long_tailed_indices(labels, 10, imbalance_factor=200)
    assert counts[-2:] == [0, 0]  # int(100 * 200^(-8/9)) = int(0.9)
    with pytest.warns(UserWarning, match='classes 8, 9;'):
        lt_counts_from_available([100] * 10, 200)
