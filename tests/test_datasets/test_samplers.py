"""ClassAwareSampler: class-balanced in expectation, DDP slices, epochs, config building."""
import numpy as np
import pytest
from mmpretrain.registry import DATA_SAMPLERS

import mmltr.datasets.samplers as samplers_mod
from mmltr.datasets import ClassAwareSampler


class LabelOnly:
    """A dataset with get_gt_labels only (as the sampler needs)."""

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        raise AssertionError('the sampler must not load samples')

    def get_gt_labels(self):
        return self.labels.copy()


class CatIdsOnly(LabelOnly):
    get_gt_labels = None

    def __getattribute__(self, name):
        if name == 'get_gt_labels':
            raise AttributeError(name)
        return super().__getattribute__(name)

    def get_cat_ids(self, idx):
        return [int(self.labels[idx])]


def lt_labels(sizes, seed=0):
    labels = np.repeat(np.arange(len(sizes)), sizes)
    np.random.default_rng(seed).shuffle(labels)
    return labels


SIZES = [500, 200, 80, 30, 10, 3]


def _patch_dist(monkeypatch, rank, world_size):
    monkeypatch.setattr(samplers_mod, 'get_dist_info', lambda: (rank, world_size))


def test_class_balanced_and_epoch_length():
    labels = lt_labels(SIZES)
    sampler = ClassAwareSampler(LabelOnly(labels), seed=0)
    assert len(sampler) == len(labels)
    drawn = np.array(list(sampler))
    assert len(drawn) == len(labels) and drawn.min() >= 0 and drawn.max() < len(labels)
    per_class = np.bincount(labels[drawn], minlength=len(SIZES))
    # classes visited in reshuffled passes: every class gets N/C samples, +-1
    assert per_class.max() - per_class.min() <= 1
    # within a class every image is used before any repeats (class 1: 137 draws of 200 images)
    for c in range(len(SIZES)):
        picks = drawn[labels[drawn] == c]
        first = picks[:SIZES[c]]
        assert len(np.unique(first)) == len(first)
    # the small classes are cycled through entirely
    assert set(drawn[labels[drawn] == 5].tolist()) == set(np.where(labels == 5)[0].tolist())


def test_num_samples_cls_groups_consecutive_draws():
    labels = lt_labels(SIZES)
    drawn = np.array(list(ClassAwareSampler(LabelOnly(labels), num_samples_cls=4, seed=1)))
    lab = labels[drawn]
    blocks = lab[:len(lab) // 4 * 4].reshape(-1, 4)
    assert (blocks == blocks[:, :1]).all()
    per_class = np.bincount(lab, minlength=len(SIZES))
    assert per_class.max() - per_class.min() <= 8


def test_determinism_and_set_epoch():
    ds = LabelOnly(lt_labels(SIZES))
    a, b = ClassAwareSampler(ds, seed=3), ClassAwareSampler(ds, seed=3)
    assert list(a) == list(b)
    assert list(a) != list(ClassAwareSampler(ds, seed=4))
    epoch0 = list(a)
    a.set_epoch(1)
    assert list(a) != epoch0
    a.set_epoch(0)
    assert list(a) == epoch0


@pytest.mark.parametrize('world_size', [2, 3])
def test_ddp_slices_disjoint_and_covering(monkeypatch, world_size):
    labels = lt_labels(SIZES)
    ds = LabelOnly(labels)
    _patch_dist(monkeypatch, 0, 1)
    single = ClassAwareSampler(ds, seed=7)
    total = -(-len(labels) // world_size) * world_size
    global_seq = single._global_sequence()
    # the global sequence depends only on seed + epoch, not on the rank or world size
    slices = []
    for rank in range(world_size):
        _patch_dist(monkeypatch, rank, world_size)
        sampler = ClassAwareSampler(ds, seed=7)
        sampler.set_epoch(2)
        seq = list(sampler)
        assert len(seq) == len(sampler) == total // world_size
        slices.append(seq)
        sampler.set_epoch(0)
        np.testing.assert_array_equal(sampler._global_sequence()[:len(labels)], global_seq)
    # together the ranks take every position of the epoch-2 global sequence exactly once
    _patch_dist(monkeypatch, 0, world_size)
    ref = ClassAwareSampler(ds, seed=7)
    ref.set_epoch(2)
    glob = ref._global_sequence()
    assert len(glob) == total
    np.testing.assert_array_equal(glob[len(labels):], glob[:total - len(labels)])  # padding
    interleaved = np.empty(total, dtype=np.int64)
    for rank, seq in enumerate(slices):
        interleaved[rank::world_size] = seq
    np.testing.assert_array_equal(interleaved, glob)


def test_fallback_to_get_cat_ids_and_empty_classes():
    labels = np.array([0, 0, 0, 3, 3, 5])  # classes 1, 2, 4 have no images
    drawn = list(ClassAwareSampler(CatIdsOnly(labels), seed=0))
    assert len(drawn) == 6
    assert sorted(np.bincount(labels[drawn], minlength=6)[[0, 3, 5]]) == [2, 2, 2]


def test_built_from_registry_with_runner_default_args():
    ds = LabelOnly(lt_labels(SIZES))
    sampler = DATA_SAMPLERS.build(dict(type='ClassAwareSampler', num_samples_cls=2),
                                  default_args=dict(dataset=ds, seed=11))
    assert isinstance(sampler, ClassAwareSampler) and sampler.seed == 11
    assert isinstance(ClassAwareSampler(ds).seed, int)  # seed=None: synchronised random seed


@pytest.mark.parametrize('bad', [0, -1, 1.5, True])
def test_bad_num_samples_cls(bad):
    with pytest.raises(ValueError, match='num_samples_cls'):
        ClassAwareSampler(LabelOnly([0, 1]), num_samples_cls=bad)
