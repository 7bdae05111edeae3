"""Class-aware samplers of the long-tailed recipes, DDP-aware and resumable like MMEngine's
``DefaultSampler``.

* :class:`ClassAwareSampler`: class-balanced, classes visited in reshuffled passes (Decoupling /
  OLTR's sampler);
* :class:`ClassPowerSampler`: class ``c`` drawn with probability ``∝ n_c^q`` (q = 0 class-balanced,
  q = 1/2 square-root, q = 1 instance-balanced);
* :class:`ProgressiveSampler`: from instance-balanced to class-balanced over the training epochs.

Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition, ICLR 2020,
https://arxiv.org/abs/1910.09217 (Section 3, "Sampling strategies").

All of them are distributed like ``DefaultSampler``: every rank generates the same global
sequence of ``len(dataset)`` indices from ``seed + epoch`` (independent of the world size), pads
it to a multiple of ``world_size`` by repeating its start, and rank ``r`` takes
``sequence[r::world_size]``: all ranks get ``ceil(len(dataset) / world_size)`` samples and
together cover the global sequence without overlap. Call ``set_epoch`` (MMEngine's
``DistSamplerSeedHook`` does) for a new order each epoch; since the sequence depends on nothing
else, a resumed run draws exactly the batches of an uninterrupted one. Labels come from
``dataset.get_gt_labels()`` (cheap for mmltr's datasets), falling back to ``get_cat_ids``; they
are read once, at construction.
"""
import math
import numbers
from typing import Iterator, List, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from .long_tailed import dataset_labels
from .utils import class_indices


class _ClassSequenceSampler(Sampler):
    """The DDP slicing, seeding and epoch plumbing of mmltr's class-aware samplers.

    A subclass implements :meth:`_epoch_sequence` (the ``len(dataset)`` global indices of an
    epoch from a seeded ``RandomState``).
    """

    def __init__(self, dataset: Sized, seed: Optional[int] = None) -> None:
        name = type(self).__name__
        rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.dataset = dataset
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        labels = dataset_labels(dataset)
        if labels.size == 0:
            raise ValueError(f'{name}: the dataset is empty.')
        if labels.min() < 0:
            raise ValueError(f'{name}: labels must be non-negative.')
        per_class = class_indices(labels, int(labels.max()) + 1)
        self.class_indices: List[np.ndarray] = [idx for idx in per_class if len(idx)]
        self.class_sizes = np.array([len(idx) for idx in self.class_indices], dtype=np.float64)
        self.epoch_length = len(labels)
        self.num_samples = math.ceil(len(labels) / world_size)
        self.total_size = self.num_samples * world_size

    def _epoch_sequence(self, rng: np.random.RandomState) -> np.ndarray:
        raise NotImplementedError

    def _draw_from_classes(self, rng: np.random.RandomState, classes: np.ndarray) -> np.ndarray:
        """One image of class ``classes[j]`` for every position j: each class's images in
        reshuffled cycles (every image is used before any repeats)."""
        out = np.empty(len(classes), dtype=np.int64)
        order = np.argsort(classes, kind='stable')
        bounds = np.searchsorted(classes[order], np.arange(len(self.class_indices) + 1))
        for c, idx in enumerate(self.class_indices):
            slots = order[bounds[c]:bounds[c + 1]]
            if not len(slots):
                continue
            cycles = math.ceil(len(slots) / len(idx))
            out[slots] = np.concatenate([rng.permutation(idx) for _ in range(cycles)])[:len(slots)]
        return out

    def _global_sequence(self) -> np.ndarray:
        rng = np.random.RandomState((self.seed + self.epoch) % (2**32))
        out = self._epoch_sequence(rng)[:self.epoch_length]
        # pad like DefaultSampler(round_up=True): repeat the start so every rank gets as many
        return np.resize(out, self.total_size) if self.total_size > len(out) else out

    def __iter__(self) -> Iterator[int]:
        sequence = self._global_sequence()
        return iter(sequence[self.rank:self.total_size:self.world_size].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


@DATA_SAMPLERS.register_module()
class ClassAwareSampler(_ClassSequenceSampler):
    """Class-balanced sampling of Decoupling (Kang et al., Decoupling Representation and Classifier
    for Long-Tailed Recognition, ICLR 2020, https://arxiv.org/abs/1910.09217) / OLTR.

    Classes are drawn uniformly: they are visited in a random order that is reshuffled after
    every pass over all (non-empty) classes; each visit takes ``num_samples_cls`` consecutive
    images from that class's own cycle, a random permutation of its images reshuffled every time
    it is exhausted. Every class therefore contributes the same number of samples per epoch (±1
    visit), and within a class every image is used before any repeats. Distributed, seeded and
    resumable as described in :mod:`mmltr.datasets.samplers`.

    Args:
        dataset (Sized): a single-label dataset.
        num_samples_cls (int): consecutive samples taken per class visit. Default 1.
        seed (int, optional): base seed, identical on all ranks (MMEngine passes the runner's
            seed). None: a random seed synchronised across ranks.
    """

    def __init__(self, dataset: Sized, num_samples_cls: int = 1, seed: Optional[int] = None):
        if not isinstance(num_samples_cls, int) or isinstance(num_samples_cls, bool) \
                or num_samples_cls < 1:
            raise ValueError(f'ClassAwareSampler: num_samples_cls must be an int >= 1, got '
                             f'{num_samples_cls!r}.')
        self.num_samples_cls = num_samples_cls
        super().__init__(dataset, seed)

    def _epoch_sequence(self, rng: np.random.RandomState) -> np.ndarray:
        k = self.num_samples_cls
        num_cls = len(self.class_indices)
        num_visits = math.ceil(self.epoch_length / k)
        passes = math.ceil(num_visits / num_cls)
        visits = np.concatenate([rng.permutation(num_cls) for _ in range(passes)])[:num_visits]
        # slot j*k..j*k+k-1 of the output belongs to visit j
        return self._draw_from_classes(rng, np.repeat(visits, k))


def class_power_probs(class_sizes: np.ndarray, q: float) -> np.ndarray:
    """``n_c^q / sum_j n_j^q``: the probability of drawing class c (q = 0 class-balanced, 1/2
    square-root, 1 instance-balanced)."""
    weights = np.asarray(class_sizes, dtype=np.float64)**q
    return weights / weights.sum()


def progressive_probs(class_sizes: np.ndarray, epoch: int, num_epochs: int) -> np.ndarray:
    """``(1 - t/T) * p_IB + (t/T) * p_CB`` with ``t = min(epoch, T)``, ``T = num_epochs``."""
    t = min(max(int(epoch), 0), num_epochs) / num_epochs
    return (1 - t) * class_power_probs(class_sizes, 1.0) + t * class_power_probs(class_sizes, 0.0)


@DATA_SAMPLERS.register_module()
class ClassPowerSampler(_ClassSequenceSampler):
    """Class-frequency-power sampling: each position of an epoch draws a class independently with
    probability ``p_c = n_c^q / sum_j n_j^q``, then the next image of that class's cycle (a
    random permutation of its images, reshuffled when exhausted).

    ``q = 0`` is class-balanced, ``q = 1/2`` square-root and ``q = 1`` instance-balanced sampling
    (Kang et al., Decoupling Representation and Classifier for Long-Tailed Recognition, ICLR 2020,
    https://arxiv.org/abs/1910.09217; Mahajan et al., Exploring the Limits of Weakly Supervised
    Pretraining, ECCV 2018, https://arxiv.org/abs/1805.00932 for square-root sampling). With
    q = 1 every image is drawn with probability 1/N but the classes are drawn independently,
    so an epoch is not a permutation of the dataset (``DefaultSampler`` gives that); with q = 0
    the classes are drawn independently too (``ClassAwareSampler`` visits them in passes, which
    has less variance). An epoch has ``len(dataset)`` samples. Distributed, seeded and resumable
    as described in :mod:`mmltr.datasets.samplers`.

    Args:
        dataset (Sized): a single-label dataset.
        q (float): the power of the class frequency, in [0, 1]. Default 0.5.
        seed (int, optional): base seed, identical on all ranks (MMEngine passes the runner's
            seed). None: a random seed synchronised across ranks.
    """

    def __init__(self, dataset: Sized, q: float = 0.5, seed: Optional[int] = None):
        if isinstance(q, bool) or not isinstance(q, numbers.Real) or not 0.0 <= q <= 1.0:
            raise ValueError(f'ClassPowerSampler: q must be a number in [0, 1] (0 class-balanced, '
                             f'0.5 square-root, 1 instance-balanced sampling), got {q!r}.')
        self.q = float(q)
        super().__init__(dataset, seed)

    def class_probs(self) -> np.ndarray:
        """The probability of each non-empty class (label order) in the current epoch."""
        return class_power_probs(self.class_sizes, self.q)

    def _epoch_sequence(self, rng: np.random.RandomState) -> np.ndarray:
        classes = rng.choice(len(self.class_indices), self.epoch_length, p=self.class_probs())
        return self._draw_from_classes(rng, classes)


@DATA_SAMPLERS.register_module()
class ProgressiveSampler(ClassPowerSampler):
    """Progressively-balanced sampling (Kang et al., Decoupling Representation and Classifier for
    Long-Tailed Recognition, ICLR 2020, https://arxiv.org/abs/1910.09217, Eq. 2): in epoch ``t``
    (0-based, set by ``set_epoch``) class c is drawn with probability
    ``(1 - t/T) * n_c / N + (t/T) / C``, from instance-balanced in the first epoch towards
    class-balanced (reached at ``t = T``; later epochs stay class-balanced). Images are drawn as
    in :class:`ClassPowerSampler`. Resuming restores the epoch, hence the mixture.

    Args:
        dataset (Sized): a single-label dataset.
        num_epochs (int): T, the training epochs (``train_cfg.max_epochs``).
        seed (int, optional): as for :class:`ClassPowerSampler`.
    """

    def __init__(self, dataset: Sized, num_epochs: int, seed: Optional[int] = None):
        if isinstance(num_epochs, bool) or not isinstance(num_epochs, numbers.Integral) \
                or num_epochs < 1:
            raise ValueError(f'ProgressiveSampler: num_epochs must be an int >= 1 (the training '
                             f'epochs, train_cfg.max_epochs), got {num_epochs!r}.')
        self.num_epochs = int(num_epochs)
        super().__init__(dataset, q=1.0, seed=seed)

    def class_probs(self) -> np.ndarray:
        return progressive_probs(self.class_sizes, self.epoch, self.num_epochs)
