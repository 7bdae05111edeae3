"""Collectives for losses that compare samples across the ranks of a DDP run."""
from typing import Tuple

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


def all_gather_with_grad(tensor: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """``(rows of every rank in rank order, offset of this rank's rows)``; gradients flow back.

    Ranks may hold different numbers of rows (dim 0): the sizes are exchanged first (one small
    ``all_gather`` and a host synchronisation), the tensors padded to the largest and trimmed
    again. The gradient of this rank's rows is the sum of what every rank's loss gives them, so
    DDP's averaging of parameter gradients then yields the gradient of the mean of the per-rank
    losses. Without an initialised process group (or with one process) ``(tensor, 0)``.
    """
    rank, world = get_dist_info()
    if world == 1:
        return tensor, 0
    size = torch.tensor([tensor.size(0)], device=tensor.device)
    sizes = [torch.empty_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    sizes = [int(s) for s in torch.cat(sizes).tolist()]
    longest = max(sizes)
    if longest > tensor.size(0):
        pad = tensor.new_zeros((longest - tensor.size(0), *tensor.shape[1:]))
        tensor = torch.cat([tensor, pad])
    gathered = _AllGatherSum.apply(tensor)
    rows = torch.cat([gathered[r * longest:r * longest + n] for r, n in enumerate(sizes)])
    return rows, sum(sizes[:rank])
