"""Batched wrapper transforms: MMCV ``RandomApply`` and MMPretrain ``MultiView``.

Both hold batched sub-pipelines built from the wrapped CPU transforms with
:func:`.pipeline.build_batch_pipeline` (anything unsupported inside raises
:class:`UnsupportedTransformError` naming it and the wrapper).

``MultiView(num_views=[1, 2], transforms=[p1, p2])`` turns one image into a list of views: one view
of ``p1``, then two of ``p2``, each an independent draw of its pipeline. Batched, a step returns
the list of ``V = sum(num_views)`` batches ``(N, C, H, W)`` in that order; it must be the last
step of a pipeline (as on the CPU, where only packing follows it).
"""
from typing import List, Sequence

import torch

from .utils import BatchStep, UnsupportedTransformError, apply_where

__all__ = ['BatchRandomApply', 'BatchMultiView']


def _build(transforms, wrapper: str):
    """The batched pipeline of the wrapped ``transforms`` (errors name the wrapper)."""
    from .pipeline import build_batch_pipeline  # the step table (pipeline.py) imports this module
    try:
        return build_batch_pipeline(list(transforms))
    except UnsupportedTransformError as e:
        raise UnsupportedTransformError(f'inside {wrapper}: {e}') from None


class BatchRandomApply(BatchStep):
    """MMCV ``RandomApply``: the wrapped transforms (one batched pipeline) applied to each sample
    with probability ``prob`` (``rand < prob``), the others unchanged."""

    def __init__(self, pipeline, prob: float = 0.5) -> None:
        if pipeline.num_views is not None:
            raise UnsupportedTransformError('MultiView inside RandomApply is not supported.')
        self.pipeline = pipeline
        self.prob = float(prob)

    @classmethod
    def from_transform(cls, t) -> 'BatchRandomApply':
        return cls(_build(t.transforms.transforms, 'RandomApply'), t.prob)

    def _apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        out = self.pipeline(x, generator)
        if out.shape != x.shape:
            raise ValueError(f'RandomApply: the wrapped transforms change the image shape '
                             f'{tuple(x.shape[1:])} -> {tuple(out.shape[1:])}; the fast path '
                             'needs one shape per batch.')
        return out

    def __call__(self, x, generator):
        applied = torch.rand(x.size(0), generator=generator, device=x.device) < self.prob
        return apply_where(applied, x, lambda part, sel: self._apply(part, generator))


class BatchMultiView(BatchStep):
    """MMPretrain ``MultiView``: ``num_views[i]`` independent views from ``pipelines[i]``; returns
    the list of the ``sum(num_views)`` view batches, in order. The views of one sub-pipeline are
    augmented as one batch (the input repeated), each sample drawing its own parameters."""

    def __init__(self, pipelines: Sequence, num_views: Sequence[int]) -> None:
        if len(pipelines) != len(num_views):
            raise ValueError(f'MultiView: {len(pipelines)} pipelines for num_views={num_views}.')
        for pipe in pipelines:
            if pipe.num_views is not None:
                raise UnsupportedTransformError('MultiView inside MultiView is not supported.')
        self.pipelines = list(pipelines)
        self.views_per_pipeline = [int(k) for k in num_views]
        self.num_views = sum(self.views_per_pipeline)

    @classmethod
    def from_transform(cls, t) -> 'BatchMultiView':
        pipes = [_build(p.transforms, f'MultiView pipeline {i + 1}')
                 for i, p in enumerate(t.pipelines)]
        return cls(pipes, t.num_views)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> List[torch.Tensor]:
        views = []
        for pipe, k in zip(self.pipelines, self.views_per_pipeline):
            if k == 0:
                continue
            out = pipe(x.repeat(k, 1, 1, 1) if k > 1 else x, generator)
            views.extend(out.chunk(k) if k > 1 else [out])
        return views
