"""GHM-CWAP's unit regions: counts per region and the AURA width update (pure functions)."""
import math

import torch

AURA_RULES = ('log_e', 'log')
# The literal AURA rule 1/log(v) is infinite or negative for v <= 1: log v is clamped to 0.01.
_MIN_LOG_V = 0.01


def rebin_counts(cum: torch.Tensor, edge_idx: torch.Tensor) -> torch.Tensor:
    """Counts per region (C, N) from the zero-prefixed cumulative fine histogram (C, F+1) and
    integer region edges (C, N+1) in fine-bin units."""
    at = cum.gather(1, edge_idx)
    return at[:, 1:] - at[:, :-1]


def aura_edges(values: torch.Tensor, fine_bins: int, min_fine: int,
               rule: str = 'log_e') -> torch.Tensor:
    """New integer edges (C, N+1) from the values v (C, N) on the old regions.

    Widths ``d ∝ 1/log(e + v)`` (``rule='log_e'``) or ``1/log v`` with ``log v >= 0.01``
    (``'log'``, the paper's literal rule), normalised; every region gets ``min_fine`` fine bins and
    the remaining ``fine_bins - N·min_fine`` are shared by rounding the cumulative sum.
    """
    C, N = values.shape
    if rule == 'log_e':
        inv = 1.0 / torch.log(values.double().clamp_min(0) + math.e)
    else:
        inv = 1.0 / torch.log(values.double()).clamp_min(_MIN_LOG_V)
    share = inv / inv.sum(dim=1, keepdim=True)
    free = fine_bins - N * min_fine
    cum = torch.round(share.cumsum(dim=1) * free).clamp_(0, free)
    cum[:, -1] = free
    cum = torch.cummax(cum, dim=1).values.long()
    zeros = cum.new_zeros(C, 1)
    offsets = torch.arange(N + 1, device=cum.device, dtype=torch.int64) * min_fine
    return torch.cat([zeros, cum], dim=1) + offsets
