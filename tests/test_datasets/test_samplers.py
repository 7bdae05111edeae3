"""ClassAwareSampler, ClassPowerSampler, ProgressiveSampler: class frequencies against their
definitions (statistical tolerance), DDP slices, epochs / resume, config building, bad input."""
import numpy as np
import pytest
from mmpretrain.registry import DATA_SAMPLERS

import mmltr.datasets.samplers as samplers_mod
from mmltr.datasets import ClassAwareSampler, ClassPowerSampler, ProgressiveSampler


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


# ----------------------------------------------------------------------------------------------
# ClassPowerSampler / ProgressiveSampler
def _class_frequencies(sampler, labels, epochs):
    """Class counts over ``epochs`` epochs of draws (one per ``set_epoch``)."""
    counts = np.zeros(len(SIZES), dtype=np.int64)
    for e in range(epochs):
        sampler.set_epoch(e)
        counts += np.bincount(labels[np.array(list(sampler))], minlength=len(SIZES))
    return counts


def _assert_multinomial(observed, probs, what):
    """Each class within 4.5 standard deviations of its binomial expectation, and the
    chi-square statistic within the range of a chi-square(C-1) variable (p > 1e-4)."""
    from scipy.stats import chi2
    total = observed.sum()
    expected = total * probs
    sd = np.sqrt(total * probs * (1 - probs))
    assert np.all(np.abs(observed - expected) <= 4.5 * sd + 1e-9), (what, observed, expected)
    stat = ((observed - expected)**2 / expected).sum()
    assert chi2.sf(stat, len(probs) - 1) > 1e-4, (what, stat)


@pytest.mark.parametrize('q', [0.0, 0.25, 0.5, 1.0])
def test_class_power_frequencies_match_q(q):
    labels = lt_labels(SIZES)
    sampler = ClassPowerSampler(LabelOnly(labels), q=q, seed=0)
    probs = np.asarray(SIZES, dtype=np.float64)**q / (np.asarray(SIZES, np.float64)**q).sum()
    np.testing.assert_allclose(sampler.class_probs(), probs)
    assert len(sampler) == len(labels)
    _assert_multinomial(_class_frequencies(sampler, labels, 25), probs, f'q={q}')


def test_class_power_named_cases_by_hand():
    labels = lt_labels([400, 100, 25])
    # q=1/2: sqrt(400), sqrt(100), sqrt(25) = 20, 10, 5 -> 4/7, 2/7, 1/7
    np.testing.assert_allclose(ClassPowerSampler(LabelOnly(labels), q=0.5).class_probs(),
                               [4 / 7, 2 / 7, 1 / 7])
    np.testing.assert_allclose(ClassPowerSampler(LabelOnly(labels), q=0).class_probs(),
                               [1 / 3] * 3)
    np.testing.assert_allclose(ClassPowerSampler(LabelOnly(labels), q=1).class_probs(),
                               [400 / 525, 100 / 525, 25 / 525])


def test_class_power_within_class_cycles_and_instance_uniformity():
    labels = lt_labels(SIZES)
    sampler = ClassPowerSampler(LabelOnly(labels), q=1.0, seed=2)
    drawn = np.array(list(sampler))
    for c in range(len(SIZES)):  # every image of a class before any repeat
        picks = drawn[labels[drawn] == c]
        first = picks[:SIZES[c]]
        assert len(np.unique(first)) == len(first)
    # q = 1: every image about equally often over many epochs (instance-balanced)
    hits = np.zeros(len(labels), dtype=np.int64)
    for e in range(40):
        sampler.set_epoch(e)
        hits += np.bincount(np.array(list(sampler)), minlength=len(labels))
    assert abs(hits.mean() - 40) < 1e-9 and hits.min() > 10 and hits.max() < 80


@pytest.mark.parametrize('epoch,weight', [(0, 0.0), (5, 0.5), (10, 1.0), (13, 1.0)])
def test_progressive_mixture(epoch, weight):
    labels = lt_labels(SIZES)
    sampler = ProgressiveSampler(LabelOnly(labels), num_epochs=10, seed=0)
    sampler.set_epoch(epoch)
    sizes = np.asarray(SIZES, dtype=np.float64)
    probs = (1 - weight) * sizes / sizes.sum() + weight / len(SIZES)
    np.testing.assert_allclose(sampler.class_probs(), probs)
    counts = np.zeros(len(SIZES), dtype=np.int64)
    for rep in range(25):  # same epoch, other seeds: the epoch's distribution
        s = ProgressiveSampler(LabelOnly(labels), num_epochs=10, seed=100 + rep)
        s.set_epoch(epoch)
        counts += np.bincount(labels[np.array(list(s))], minlength=len(SIZES))
    _assert_multinomial(counts, probs, f'epoch {epoch}')


@pytest.mark.parametrize('make', [lambda ds, **kw: ClassPowerSampler(ds, q=0.5, **kw),
                                  lambda ds, **kw: ProgressiveSampler(ds, num_epochs=4, **kw)],
                         ids=['power', 'progressive'])
@pytest.mark.parametrize('world_size', [2, 3])
def test_power_samplers_ddp_slices_and_resume(monkeypatch, make, world_size):
    labels = lt_labels(SIZES)
    ds = LabelOnly(labels)
    total = -(-len(labels) // world_size) * world_size
    _patch_dist(monkeypatch, 0, 1)
    ref = make(ds, seed=7)
    ref.set_epoch(2)
    glob = ref._global_sequence()
    assert list(ref) == glob.tolist()
    interleaved = np.empty(total, dtype=np.int64)
    for rank in range(world_size):
        _patch_dist(monkeypatch, rank, world_size)
        sampler = make(ds, seed=7)
        sampler.set_epoch(2)  # a resumed run: the same epoch gives the same batches
        seq = list(sampler)
        assert len(seq) == len(sampler) == total // world_size
        interleaved[rank::world_size] = seq
    np.testing.assert_array_equal(interleaved[:len(labels)], glob)
    np.testing.assert_array_equal(interleaved[len(labels):], glob[:total - len(labels)])
    other = make(ds, seed=7)
    other.set_epoch(3)
    assert list(other) != glob.tolist()


def test_power_samplers_build_and_bad_arguments():
    ds = LabelOnly(lt_labels(SIZES))
    sampler = DATA_SAMPLERS.build(dict(type='ClassPowerSampler', q=0.5),
                                  default_args=dict(dataset=ds, seed=3))
    assert isinstance(sampler, ClassPowerSampler) and sampler.seed == 3
    assert isinstance(DATA_SAMPLERS.build(dict(type='ProgressiveSampler', num_epochs=5),
                                          default_args=dict(dataset=ds)), ProgressiveSampler)
    for bad in (-0.1, 1.5, float('nan'), '0.5', True, None):
        with pytest.raises(ValueError, match=r'q must be a number in \[0, 1\]'):
            ClassPowerSampler(ds, q=bad)
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match='num_epochs must be an int >= 1'):
            ProgressiveSampler(ds, num_epochs=bad)
