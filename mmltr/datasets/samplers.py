"""Class-aware (class-balanced) sampling, Decoupling-style, DDP-aware like ``DefaultSampler``."""
import math
from typing import Iterator, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from .long_tailed import dataset_labels
from .utils import class_indices


@DATA_SAMPLERS.register_module()
class ClassAwareSampler(Sampler):
    """Class-balanced sampling of Decoupling (Kang et al., Decoupling Representation and Classifier
    for Long-Tailed Recognition, ICLR 2020, https://arxiv.org/abs/1910.09217) / OLTR.

    Classes are drawn uniformly: they are visited in a random order that is reshuffled after
    every pass over all (non-empty) classes; each visit takes ``num_samples_cls`` consecutive
    images from that class's own cycle, a random permutation of its images reshuffled every time
    it is exhausted. Every class therefore contributes the same number of samples per epoch (±1
    visit), and within a class every image is used before any repeats.

    Distributed like ``DefaultSampler``: every rank generates the same global sequence of
    ``len(dataset)`` indices from ``seed + epoch`` (independent of the world size), pads it to a
    multiple of ``world_size`` by repeating its start, and rank ``r`` takes
    ``sequence[r::world_size]``: all ranks get ``ceil(len(dataset) / world_size)`` samples and
    together cover the global sequence without overlap. Call ``set_epoch`` (MMEngine's
    ``DistSamplerSeedHook`` does) for a new order each epoch.

    Labels come from ``dataset.get_gt_labels()`` (cheap for mmltr's datasets), falling back to
    ``get_cat_ids``; they are read once, at construction.

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
        rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.dataset = dataset
        self.num_samples_cls = num_samples_cls
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        labels = dataset_labels(dataset)
        if labels.size == 0:
            raise ValueError('ClassAwareSampler: the dataset is empty.')
        if labels.min() < 0:
            raise ValueError('ClassAwareSampler: labels must be non-negative.')
        per_class = class_indices(labels, int(labels.max()) + 1)
        self.class_indices = [idx for idx in per_class if len(idx)]  # empty classes never drawn
        self.epoch_length = len(labels)
        self.num_samples = math.ceil(len(labels) / world_size)
        self.total_size = self.num_samples * world_size

    def _global_sequence(self) -> np.ndarray:
        rng = np.random.RandomState((self.seed + self.epoch) % (2**32))
        k = self.num_samples_cls
        num_cls = len(self.class_indices)
        num_visits = math.ceil(self.epoch_length / k)
        passes = math.ceil(num_visits / num_cls)
        visits = np.concatenate([rng.permutation(num_cls) for _ in range(passes)])[:num_visits]
        # slot j*k..j*k+k-1 of the output belongs to visit j; fill each class's slots from its cycle
        out = np.empty(num_visits * k, dtype=np.int64)
        visit_order = np.argsort(visits, kind='stable')
        visit_bounds = np.searchsorted(visits[visit_order], np.arange(num_cls + 1))
        offsets = np.arange(k)
        for c, idx in enumerate(self.class_indices):
            slots_of_c = visit_order[visit_bounds[c]:visit_bounds[c + 1]]
            if not len(slots_of_c):
                continue
            needed = len(slots_of_c) * k
            cycles = math.ceil(needed / len(idx))
            draws = np.concatenate([rng.permutation(idx) for _ in range(cycles)])[:needed]
            out[(slots_of_c[:, None] * k + offsets[None, :]).reshape(-1)] = draws
        out = out[:self.epoch_length]
        # pad like DefaultSampler(round_up=True): repeat the start so every rank gets as many
        return np.resize(out, self.total_size) if self.total_size > len(out) else out

    def __iter__(self) -> Iterator[int]:
        sequence = self._global_sequence()
        return iter(sequence[self.rank:self.total_size:self.world_size].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
