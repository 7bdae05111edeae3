"""ClassBalancedSubset / balanced_indices: ``per_class`` images of every class (Difficulty-Net's
meta set on ImageNet-LT and Places-LT: 10 per class of the val list)."""
import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import mmltr.datasets
from mmltr.datasets import ClassBalancedSubset, balanced_indices


class Labelled:
    """A labelled dataset that only knows its labels (as the wrapper needs)."""

    def __init__(self, labels, classes=None):
        self.labels = np.asarray(labels)
        self.metainfo = dict(classes=classes or tuple(str(c) for c in range(self.labels.max() + 1)),
                             class_counts=(7, 7, 7))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return dict(idx=idx)

    def get_gt_labels(self):
        return self.labels.copy()

    def get_data_info(self, idx):
        return dict(gt_label=int(self.labels[idx]))


def reference(labels, num_classes, per_class, selection, seed):
    """Written from the definition: per class in label order, its positions in file order."""
    rng = np.random.RandomState(seed)
    out = []
    for c in range(num_classes):
        idx = np.flatnonzero(labels == c)
        if selection == 'random':
            idx = np.sort(rng.choice(idx, per_class, replace=False))
        out.append(idx[:per_class] if selection == 'first' else idx[len(idx) - per_class:])
    return np.concatenate(out)


LABELS = np.random.default_rng(0).permutation(np.repeat(np.arange(3), [20, 9, 14]))


@pytest.mark.parametrize('selection', ['random', 'first', 'last'])
@pytest.mark.parametrize('seed', [0, 5])
def test_balanced_indices_equal_the_reference(selection, seed):
    got = balanced_indices(LABELS, 3, 6, selection, seed)
    np.testing.assert_array_equal(got, reference(LABELS, 3, 6, selection, seed))
    assert np.bincount(LABELS[got]).tolist() == [6, 6, 6]


def test_subset_wraps_any_labelled_dataset():
    src = Labelled(LABELS)
    sub = DATASETS.build(dict(type='ClassBalancedSubset', dataset=src, per_class=4, seed=3))
    assert isinstance(sub, ClassBalancedSubset) and len(sub) == 12
    np.testing.assert_array_equal(sub.indices, balanced_indices(LABELS, 3, 4, 'random', 3))
    np.testing.assert_array_equal(sub.get_gt_labels(), LABELS[sub.indices])
    assert sub[5] == dict(idx=int(sub.indices[5]))
    assert sub.metainfo['class_counts'] == (7, 7, 7)  # the wrapped dataset's training counts
    assert ClassBalancedSubset(src, per_class=4, seed=4).indices.tolist() != sub.indices.tolist()
    assert 'per_class=4, selection=random, seed=3' in repr(sub)
    assert 'ClassBalancedSubset' in mmltr.datasets.__all__


@pytest.mark.parametrize('selection', ['random', 'first'])
def test_complement_is_the_disjoint_rest(selection):
    """A validation part and a test part of one balanced set: disjoint, together everything."""
    src = Labelled(LABELS)
    val = ClassBalancedSubset(src, per_class=5, selection=selection, seed=1)
    test = ClassBalancedSubset(src, per_class=5, selection=selection, seed=1, complement=True)
    assert not set(val.indices) & set(test.indices)
    assert sorted(set(val.indices) | set(test.indices)) == list(range(len(LABELS)))
    assert np.all(np.diff(test.indices) > 0)  # file order
    assert np.bincount(LABELS[test.indices]).tolist() == [15, 4, 9]
    assert 'complement=True' in repr(test)


def test_bad_arguments():
    src = Labelled(LABELS)
    with pytest.raises(ValueError, match=r"selection must be one of \('random', 'first', 'last'\)"):
        ClassBalancedSubset(src, selection='middle')
    with pytest.raises(ValueError, match=r'per_class=10 but class\(es\) \[\(1, 9\)\]'):
        ClassBalancedSubset(src, per_class=10)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match='per_class must be an int >= 1'):
            ClassBalancedSubset(src, per_class=bad)
    with pytest.raises(TypeError, match='ClassBalancedSubset: dataset must be a dataset config'):
        ClassBalancedSubset('val/', per_class=2)
