"""Collectives for losses that compare samples across the ranks of a DDP run."""
from typing import List, Tuple

import torch
import torch.distributed as dist
from mmengine.dist import get_dist_info


class _AllGatherSum(torch.autograd.Function):
    """``all_gather`` of equally shaped tensors, concatenated along dim 0.

    Backward: every rank's loss depends on every rank's rows, so the gradient of a rank's own rows
    is the sum over ranks of the gradients they computed for them (``all_reduce`` of the whole
    gathered gradient, then this rank's slice; works on gloo and NCCL alike).
    """

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        rank, world = get_dist_info()
        parts = [torch.empty_like(tensor) for _ in range(world)]
        dist.all_gather(parts, tensor.contiguous())
        ctx.rank, ctx.rows = rank, tensor.size(0)
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


def all_gather_with_grad(*tensors: torch.Tensor) -> Tuple[List[torch.Tensor], int]:
    """``([rows of every rank in rank order, per tensor], offset of this rank's rows)``.

    Each tensor is gathered along dim 0 (all of them with the same number of rows on a rank), and
    gradients flow back: the gradient of this rank's rows is the sum of what every rank's loss
    gives them, so DDP's averaging of parameter gradients then yields the gradient of the mean of
    the per-rank losses. Ranks may hold different numbers of rows: the sizes are exchanged first
    (one small ``all_gather`` and a host synchronisation, shared by all tensors), the tensors
    padded to the largest and trimmed again. Without an initialised process group (or with one
    process) ``(list(tensors), 0)``.
    """
    rank, world = get_dist_info()
    if world == 1:
        return list(tensors), 0
    rows = tensors[0].size(0)
    if any(t.size(0) != rows for t in tensors):
        raise ValueError(f'all_gather_with_grad: the tensors have different numbers of rows '
                         f'{[t.size(0) for t in tensors]}.')
    size = torch.tensor([rows], device=tensors[0].device)
    sizes = [torch.empty_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    sizes = [int(s) for s in torch.cat(sizes).tolist()]
    longest = max(sizes)
    out = []
    for tensor in tensors:
        if longest > rows:
            tensor = torch.cat([tensor, tensor.new_zeros((longest - rows, *tensor.shape[1:]))])
        gathered = _AllGatherSum.apply(tensor)
        out.append(torch.cat([gathered[r * longest:r * longest + n]
                              for r, n in enumerate(sizes)]))
    return out, sum(sizes[:rank])
