"""GHM-CWAP: category-wise gradient harmonizing with adaptive unit regions and asymmetric margins.

Zhang et al., Solving the long-tailed problem via intra- and inter-category balance, ICASSP 2022,
https://arxiv.org/abs/2204.09234. The paper has no public code; this is the reference implementation
of mmltr, and every choice the paper leaves open is listed in :class:`GHMCWAPLoss`'s docstring.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine import dist
from mmengine.logging import print_log
from mmpretrain.registry import MODELS

from .count_aware_loss import CountAwareLoss
from .ghm_regions import AURA_RULES, aura_edges, rebin_counts
from .utils import CountsLike, check_hard_labels, check_numbers, reduce_class_weighted

# Effective sizes are clamped to this before taking logs (a class with no samples has S_c = 0).
_MIN_EFF_NUM = 1e-12
# How the intra-category weights are normalised (design choice 5).
INTRA_NORMS = ('batch', 'batch_grad', 'epoch', 'none')


@MODELS.register_module()
class GHMCWAPLoss(CountAwareLoss):
    r"""GHM-CWAP loss: per-class gradient-norm histograms with adaptive unit regions (AURA),
    intra-category re-weighting and inter-category asymmetric logit margins.

    For a sample of class :math:`m = y` with logits :math:`z` (any head: linear logits or scaled
    cosines; the loss applies no scale of its own):

    .. math::

        M_{m,n} = \gamma \log\min(1, S_n / S_m), \qquad
        \mathcal{L} = W_{m,i(g)} \cdot \mathrm{CE}(z + M_{m,\cdot}, m)

    and the batch loss is the mean (``reduction='mean'``; MMPretrain's ``avg_factor`` honoured).

    Args:
        num_classes (int): Number of classes C (fixes all buffer shapes).
        bins (int): Unit regions N per class histogram. Defaults to 30 (paper).
        alpha (float): Effectiveness exponent α (> 0). Defaults to 0.9 (paper).
        gamma (float): Margin scale γ (≥ 0). Defaults to 0.8 (paper).
        adaptive_bins (bool): AURA (True) or the uniform regions of GHM's URA (False).
        use_intra (bool): Apply the intra-category weights W.
        use_inter (bool): Apply the inter-category margins M.
        max_weight (float, optional): Upper clamp of W after the normalisation (None: no
            clamp). Defaults to 1: the intra weights only ever lower a sample's weight below
            cross-entropy's (design choice 5).
        intra_norm (str): How the intra-category weights are normalised: 'batch_grad' (default:
            per class within each batch, keeping the sum of gradient norms), 'batch' (per class
            within each batch, keeping the sum of weights), 'epoch' (over the previous epoch's
            histogram) or 'none' (Eq. 1 as written). See design choice 5.
        momentum (float, optional): With a per-batch ``intra_norm``, take the intra weights'
            region densities from a per-iteration running average of each class's share per region
            (GHM-C's momentum) instead of the previous epoch's histogram. None (default): the
            previous epoch's histogram. See design choice 5.
        aura (str): The width rule of AURA: 'log_e' (default, ``1/log(e + v)``) or 'log' (the
            paper's ``1/log(v)``, with v clamped to ``e^0.01`` where it is not finite and
            positive). See design choice 3.
        class_counts (list[int], optional): Training images per class (for S before the first
            histogram exists). Filled from the training set by ``LongTailLossHook`` when omitted.
        fine_bins (int): Resolution F of the fine per-class histogram; a multiple of ``bins``.
            Defaults to 600 (20 fine bins per initial region).
        min_width (float, optional): Floor on a region's width, rounded to a whole number
            ``m ≥ 1`` of fine bins. Defaults to one fine bin (1/600).
        reduction (str): 'mean', 'sum' or 'none'.
        loss_weight (float): Multiplier of the loss.

    **Design choices (the paper leaves these open):**

    1. *Gradient norm.* ``g = 1 - p_y`` with ``p = softmax(z + M)`` (after the margin, which uses
       S from the previous epoch), detached; computed as ``-expm1(-CE)``, the same number, in
       fp32. ``g`` is in [0, 1]; ``g = 1`` falls in the last bin.
    2. *Fine histogram and region edges.* During an epoch each training sample adds 1 to
       ``fine_hist[y, floor(g·F)]`` (F uniform fine bins, float32 counts: exact up to 2^24 per
       fine bin per epoch). Region edges are kept as integer fine-bin indices ``edge_idx``
       (C, N+1), so a region is a whole number of fine bins: re-binning the fine histogram into
       any regions is exact, and a sample's region is found from its fine-bin index (so the
       weight lookup and the histogram always agree). Algorithm 1's ``v_i += 1/(N·d_i)`` is the
       count in region i divided by ``N·d_i`` (every sample in a region adds the same amount), so
       ``v = counts / (N·d)`` is computed once at the epoch end, not per sample.
    3. *Width update (AURA), at the epoch end.* From ``v`` on the regions used during the epoch:
       ``d̃_i ∝ 1/log(e + v_i)`` (safe for ``v_i ≤ 1`` and empty regions, decreasing in v),
       normalised to sum 1 (``aura='log'``: Algorithm 1's literal ``1/log(v_i)``, which is infinite
       or negative for ``v_i ≤ 1``, so ``log v`` is clamped to ≥ 0.01 there: such a region gets up
       to 100× the width of a region with ``v = e``); then each region gets the floor of ``m`` fine
       bins and the remaining ``F - N·m`` fine bins are shared in proportion to ``d̃`` by rounding
       the cumulative sum, i.e. ``d_i = (m + ΔR_i)/F`` with ``R = round((F - N·m)·cumsum(d̃))``.
       Widths sum to exactly 1, never go below ``m/F``, and dense regions get narrower. As in
       Algorithm 1 the widths are reassigned *by region index* (new region i gets its width from old
       region i's v_i), so one update can misplace a wide region next to a dense one; iterated over
       epochs the partition settles with narrow regions where samples are dense (tested). A class
       with no sample in the epoch gets uniform widths (all v = 0). ``adaptive_bins=False`` keeps
       the uniform regions.
    4. *Next epoch's histogram.* The epoch's fine histogram is re-binned into the *new* regions:
       ``v_{c,i} = count_{c,i}/(N·d_{c,i})``; weights and S for the next epoch come from this
       complete histogram on the regions that the next epoch uses. The fine histogram is then
       reset (Algorithm 1's "reset v").
    5. *Intra weights.* Eq. 1, ``W_{c,i} = S_c / v_{c,i}^α``, from the previous epoch's
       histogram on the current regions. A region that was empty in the previous epoch is
       treated as holding one sample (``v = 1/(N·d)``), so a sample landing there gets a finite
       weight. How the weights are normalised is ``intra_norm``:

       * ``'batch'``: in every batch, each class's weights are scaled to sum to the
         number of its samples in the batch (under DDP the global batch: one ``all_reduce`` of
         2·C numbers per iteration, so 2 processes equal 1 process with the same global batch).
         This is GHM-C's normalisation (by the number of valid samples) applied per category:
         weights only redistribute the loss among a class's samples of the batch, S_c cancels,
         the loss and gradient scale stay those of cross-entropy, and inter-class balance is
         left to the margins. A class with a single sample in the batch gets weight 1.
       * ``'batch_grad'`` (default): as ``'batch'``, but the weights are scaled so that each class's
         weighted gradient norms ``Σ w·g`` sum to its unweighted ones ``Σ g`` (the gradient scale
         of cross-entropy is kept, not only the loss scale; harmonising moves weight onto hard
         samples, whose gradients are larger). Measured on the quickstart recipe (Fashion-MNIST-LT
         IF 500, 4 epochs, ``max_weight=10``): 49.5 top-1 against 32.3 with ``'batch'``
         (CE: 54.5-60.4).
       * ``'epoch'``: normalised once per class over the previous epoch's histogram
         (``Σ_i count_{c,i}·W_{c,i} / Σ_i count_{c,i} = 1``). Kept for ablation; with
         ``max_weight=10`` it **does not train**: the weights of an epoch are fitted to the
         previous epoch's distribution of g, and as soon as the model changes the sum of the
         weights in a batch drifts from the batch size (measured on Fashion-MNIST-LT: 2.4× the
         batch size on average, up to 6×, gradient norms 36× those of CE), which moves more
         samples into the sparse, heavily weighted regions, until the model predicts one class.
       * ``'none'``: Eq. 1 as written, unnormalised. S_c grows with the class size, so head
         samples weigh several times more than tail samples (e.g. 36-41 vs 4-5 on a CIFAR-100-LT
         IF100 histogram): the opposite of a long-tail correction. For ablation only.

       ``momentum=μ`` (with ``'batch'``): the densities follow the current distribution of g
       instead of the previous epoch's. Each training batch's share of a class's samples per
       region (global batch under DDP: one ``all_reduce`` of C·N numbers) updates a running
       share ``ρ_c ← μ·ρ_c + (1-μ)·share_c`` for the classes in the batch (others unchanged, as
       GHM-C updates only the bins that received samples); the raw weight is
       ``(ρ_{c,i}/d_{c,i})^(-α)`` (S_c and N cancel in the normalisation). At each epoch end ``ρ``
       restarts from the epoch's shares on the new regions.

       The clamp to ``max_weight`` is applied last (after the normalisation, without
       renormalising). A class with no sample in the previous epoch gets W = 1.

       *Why the default clamp is 1.* GHM harmonises by lowering the summed contribution of the
       dense (easy) regions; the paper's stated aim is to stop easy head samples from
       dominating. Normalised weights above 1 instead amplify a class's rare, hard samples, and
       for a head class those are the samples on the border of the medium and tail classes:
       up-weighting them moves the head classes' boundaries into the smaller classes. Measured on
       the quickstart recipe (seed 0, per-epoch diagnostics from
       :class:`mmltr.engine.hooks.TrainDiagnosticsHook`): with ``max_weight=10`` the full loss
       reached 49.5 top-1 (medium-shot 6.2) and the intra weights alone 53.7 (medium 0.5),
       against 60.4 for CE and 66.6 for the margins alone; with ``max_weight=1`` (weights only
       ever lowered: easy samples weigh less, hard ones as in cross-entropy) 67.2 (medium 49.9)
       and 54.6. The head classes' mean weight then falls to 0.17-0.28 and the batch's summed
       weight to 0.3-0.4 of the batch size, an implicit down-weighting of the easy head samples.
       ``max_weight=10`` (or None) keeps the amplifying variant for ablation. A per-iteration
       momentum on the densities did not help (``momentum=0.75``: 47.3).
    6. *Inter margins.* ``M_{m,n} = γ·min(0, log S_n - log S_m)`` (0 for n = m), with S clamped to
       ``≥ 1e-12`` before the log so empty classes give large but finite negative margins on
       their own logit (which only relieves them of pressure from other classes' samples).
       Training-only semantics are the caller's business: the margins are part of the loss, the
       head's predictions never see them.
    7. *Before the first histogram* (first epoch, or ``has_hist`` False): W = 1 and
       ``S_c = n_c^α`` from ``class_counts``. With ``use_intra=False, use_inter=False`` the loss is
       exactly cross-entropy (histograms are still collected; they change nothing).
    8. *Epoch boundary.* :class:`mmltr.engine.hooks.LongTailLossHook` drives it:
       ``after_train_epoch`` calls :meth:`on_train_epoch_end` on every rank (runs before
       ``CheckpointHook``, so epoch checkpoints hold the updated state), ``before_train_epoch``
       calls :meth:`set_epoch`.
       Without the hook (custom loops, tests) call ``on_train_epoch_end()`` yourself after each
       epoch. MMEngine's ``IterBasedTrainLoop`` fires the epoch hooks only once per run, so
       regions would never update there: use an epoch-based loop (or drive it manually).
    9. *DDP.* Each rank accumulates its own samples (needs MMEngine's default
       ``broadcast_buffers=False``); :meth:`on_train_epoch_end` sums the fine histograms with one
       ``mmengine.dist.all_reduce`` per epoch, then every rank performs the same deterministic
       update, so regions, weights and margins are identical on all ranks.
    10. *State and resume.* Region edges, the current epoch's fine histogram, the previous
        epoch's region counts, v, W, S and the ``has_hist`` flag are persistent buffers: saved in
        checkpoints and restored on resume, so a resumed run uses the same regions, weights and
        margins, and a resume in the middle of an epoch (manual or iteration-driven loops)
        continues the histogram where it stopped. MMEngine's ``EpochBasedTrainLoop`` restarts an
        interrupted epoch from its first batch; :meth:`set_epoch` (called at the epoch start)
        therefore discards a partial histogram it finds there, so the restarted epoch is not
        counted twice. (Under DDP a mid-epoch checkpoint holds only rank 0's partial histogram;
        this discard makes that harmless for epoch-based loops.)
    11. *Eval mode.* Same weights and margins; nothing is accumulated (``self.training`` False).
    12. *Cost.* No loop over classes: per batch one gather of (B, N+1) edge rows, a batched
        ``searchsorted``, an ``index_add_`` and a (B, C) margin. Memory: C×F float32 for the fine
        histogram (iNaturalist 2018: 8,142 × 600 → 19.5 MB, also in checkpoints) plus a few
        C×N tables.
    """

    #: The histograms are per-rank until ``on_train_epoch_end`` sums them: DDP must not
    #: broadcast rank 0's buffers over them (``LongTailLossHook`` refuses
    #: ``broadcast_buffers=True``).
    rank_local_buffers = True

    def __init__(self,
                 num_classes: int,
                 bins: int = 30,
                 alpha: float = 0.9,
                 gamma: float = 0.8,
                 adaptive_bins: bool = True,
                 use_intra: bool = True,
                 use_inter: bool = True,
                 max_weight: Optional[float] = 1.0,
                 intra_norm: str = 'batch_grad',
                 aura: str = 'log_e',
                 momentum: Optional[float] = None,
                 class_counts: CountsLike = None,
                 fine_bins: int = 600,
                 min_width: Optional[float] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        if int(num_classes) != num_classes or num_classes < 1:
            raise ValueError(f'GHMCWAPLoss: num_classes must be a positive int, got {num_classes}.')
        if int(bins) != bins or bins < 1:
            raise ValueError(f'GHMCWAPLoss: bins must be a positive int, got {bins}.')
        if int(fine_bins) != fine_bins or fine_bins < bins or fine_bins % bins:
            raise ValueError(f'GHMCWAPLoss: fine_bins ({fine_bins}) must be a multiple of bins '
                             f'({bins}).')
        check_numbers('GHMCWAPLoss', alpha=alpha, gamma=gamma, loss_weight=loss_weight)
        if max_weight is not None:
            check_numbers('GHMCWAPLoss', max_weight=max_weight)
        if not alpha > 0:
            raise ValueError(f'GHMCWAPLoss: alpha must be > 0, got {alpha}.')
        if gamma < 0:
            raise ValueError(f'GHMCWAPLoss: gamma must be >= 0, got {gamma}.')
        if intra_norm not in INTRA_NORMS:
            raise ValueError(f'GHMCWAPLoss: intra_norm must be one of {INTRA_NORMS}, got '
                             f'{intra_norm!r}.')
        if momentum is not None and not (0 <= momentum < 1 and intra_norm.startswith('batch')):
            raise ValueError(f'GHMCWAPLoss: momentum must be in [0, 1) and needs '
                             f"intra_norm='batch', got momentum={momentum}, "
                             f'intra_norm={intra_norm!r}.')
        if aura not in AURA_RULES:
            raise ValueError(f'GHMCWAPLoss: aura must be one of {AURA_RULES}, got {aura!r}.')
        if max_weight is not None and not max_weight > 0:
            raise ValueError(f'GHMCWAPLoss: max_weight must be > 0 or None, got {max_weight}.')
        num_classes, bins, fine_bins = int(num_classes), int(bins), int(fine_bins)
        if min_width is None:
            min_fine = 1
        else:
            min_fine = int(round(float(min_width) * fine_bins))
            if min_fine < 1 or bins * min_fine >= fine_bins:
                raise ValueError(
                    f'GHMCWAPLoss: min_width={min_width} gives {min_fine} fine bins per region; '
                    f'need 1 <= m and bins*m < fine_bins ({bins}*{min_fine} vs {fine_bins}).')
        super().__init__(num_classes, reduction, loss_weight)
        self.bins = bins
        self.fine_bins = fine_bins
        self.min_fine = min_fine
        self.alpha = float(alpha)
        self.gamma = float(gamma)
        self.adaptive_bins = bool(adaptive_bins)
        self.use_intra = bool(use_intra)
        self.use_inter = bool(use_inter)
        self.max_weight = None if max_weight is None else float(max_weight)
        self.intra_norm = intra_norm
        self.aura = aura
        self.momentum = None if momentum is None else float(momentum)

        C, N, Fb = num_classes, bins, fine_bins
        self.register_buffer('edge_idx', self._uniform_edges().repeat(C, 1))  # (C, N+1) int64
        self.register_buffer('fine_hist', torch.zeros(C, Fb))  # current epoch, float32 counts
        self.register_buffer('region_counts', torch.zeros(C, N))  # previous epoch, current regions
        self.register_buffer('region_values', torch.zeros(C, N))  # v = counts / (N·d)
        self.register_buffer('weight_table', torch.ones(C, N))  # W_{c,i}
        self.register_buffer('eff_num', torch.zeros(C))  # S_c from the histogram
        self.register_buffer('density', torch.zeros(C, N))  # momentum: share of a class per region
        self.register_buffer('has_hist', torch.tensor(False))
        self.register_buffer('num_updates', torch.tensor(0, dtype=torch.int64))
        self._hist_ready = False  # python mirror of has_hist (no device sync per forward)
        self.last_sample_weights: Optional[torch.Tensor] = None  # for TrainDiagnosticsHook
        if class_counts is not None:
            self.set_class_counts(class_counts)

    # -- helpers ------------------------------------------------------------------------------
    def _uniform_edges(self) -> torch.Tensor:
        step = self.fine_bins // self.bins
        return torch.arange(self.bins + 1, dtype=torch.int64).unsqueeze(0) * step

    @property
    def widths(self) -> torch.Tensor:
        """Region widths d_{c,i} (C, N), float64, each row sums to 1."""
        return self.edge_idx.diff(dim=1).double() / self.fine_bins

    @property
    def region_edges(self) -> torch.Tensor:
        """Region edges in [0, 1] (C, N+1), float64."""
        return self.edge_idx.double() / self.fine_bins

    def _log_eff_num(self, cls_score: torch.Tensor) -> torch.Tensor:
        if self._hist_ready:
            s = self.eff_num.double()
        else:
            s = self.get_class_counts(cls_score).double().pow(self.alpha)
        return s.clamp_min(_MIN_EFF_NUM).log().to(torch.float32)

    # -- loss ---------------------------------------------------------------------------------
    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        reduction = self._reduction(reduction_override)
        label = check_hard_labels(label, cls_score, type(self).__name__)
        if cls_score.dim() != 2 or cls_score.size(1) != self.num_classes:
            raise ValueError(f'GHMCWAPLoss: expected scores of shape (N, {self.num_classes}), got '
                             f'{tuple(cls_score.shape)} (num_classes mismatch).')
        z = cls_score.float()
        if self.use_inter:
            log_s = self._log_eff_num(cls_score)
            margin = (log_s.unsqueeze(0) - log_s[label].unsqueeze(1)).clamp_(max=0.0) * self.gamma
            z = z + margin
        ce = F.cross_entropy(z, label, reduction='none')

        sample_w = None
        with torch.no_grad():
            g = torch.expm1(-ce.detach()).neg_().clamp_(0.0, 1.0)
            fine = (g * self.fine_bins).floor_().long().clamp_(0, self.fine_bins - 1)
            if self.training:
                flat = label * self.fine_bins + fine
                self.fine_hist.view(-1).index_add_(0, flat, torch.ones_like(g))
            if self.use_intra and self._hist_ready:
                edges = self.edge_idx[label]  # (B, N+1)
                region = torch.searchsorted(edges, fine.unsqueeze(1), right=True).squeeze(1) - 1
                region = region.clamp_(0, self.bins - 1)
                if self.momentum is not None and self.training:
                    sample_w = self._momentum_weights(label, region)
                else:
                    sample_w = self.weight_table[label, region]
                if self.intra_norm in ('batch', 'batch_grad'):
                    sample_w = self._normalise_in_batch(sample_w, label, g)
                if self.max_weight is not None and self.intra_norm != 'epoch':
                    sample_w = sample_w.clamp(max=self.max_weight)

        if self.training:
            self.last_sample_weights = sample_w
        loss = ce if sample_w is None else ce * sample_w
        return self.loss_weight * reduce_class_weighted(
            loss, label, weight=weight, reduction=reduction, avg_factor=avg_factor)

    def _momentum_weights(self, label: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
        """Raw intra weights from the per-iteration density (design choice 5, ``momentum``)."""
        counts = torch.zeros_like(self.density)
        counts.index_put_((label, region), torch.ones_like(region, dtype=counts.dtype),
                          accumulate=True)
        if dist.get_world_size() > 1:
            dist.all_reduce(counts, op='sum')  # the global batch
        n = counts.sum(dim=1, keepdim=True)
        share = counts / n.clamp_min(1)
        fresh = self.density.sum(dim=1, keepdim=True) == 0
        smoothed = torch.where(fresh, share,
                               self.momentum * self.density + (1 - self.momentum) * share)
        self.density.copy_(torch.where(n > 0, smoothed, self.density))
        widths = (self.edge_idx.diff(dim=1).float() / self.fine_bins)[label, region]
        return (self.density[label, region] / widths).pow(-self.alpha)

    def _normalise_in_batch(self, raw: torch.Tensor, label: torch.Tensor,
                            g: torch.Tensor) -> torch.Tensor:
        """Scale each class's weights so that, over its samples in the (global) batch, they sum
        to the sample count ('batch'), or the weighted gradient norms sum to the unweighted ones
        ('batch_grad')."""
        size = g.double() if self.intra_norm == 'batch_grad' else torch.ones_like(g).double()
        sums = raw.new_zeros(2, self.num_classes, dtype=torch.float64)
        sums[0].index_add_(0, label, raw.double() * size)
        sums[1].index_add_(0, label, size)
        if self.training and dist.get_world_size() > 1:
            dist.all_reduce(sums, op='sum')  # the batch is the global batch under DDP
        return (raw.double() * (sums[1] / sums[0].clamp_min(1e-300))[label]).to(raw.dtype)

    # -- epoch boundary -----------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Called by ``LongTailLossHook`` before each training epoch (see design choice 10)."""
        super().set_epoch(epoch)
        if bool(self.fine_hist.any()):
            print_log(f'GHMCWAPLoss: epoch {epoch} starts with a partial histogram of '
                      f'{int(self.fine_hist.sum())} samples (resumed from a mid-epoch checkpoint; '
                      'the epoch restarts from its first batch): discarding it.', logger='current')
            self.fine_hist.zero_()

    @torch.no_grad()
    def on_train_epoch_end(self) -> None:
        """Close the epoch: sum histograms over ranks, update regions, weights and S, reset.

        Called on every rank by ``LongTailLossHook.after_train_epoch`` (one all_reduce per
        epoch). An epoch that saw no sample on any rank changes nothing.
        """
        dist.all_reduce(self.fine_hist, op='sum')
        if not bool(self.fine_hist.any()):
            return
        C, N = self.num_classes, self.bins
        fine = self.fine_hist.double()
        cum = torch.cat([fine.new_zeros(C, 1), fine.cumsum(dim=1)], dim=1)  # exact integers

        edges = self.edge_idx
        if self.adaptive_bins:
            old_counts = rebin_counts(cum, edges)
            old_values = old_counts / (N * self.widths.to(old_counts))
            edges = aura_edges(old_values, self.fine_bins, self.min_fine, self.aura)

        counts = rebin_counts(cum, edges)
        widths = edges.diff(dim=1).double() / self.fine_bins
        values = counts / (N * widths)
        occupied = counts > 0
        powed = torch.where(occupied, values.pow(self.alpha), torch.zeros_like(values))
        eff_num = powed.sum(dim=1)  # S_c
        v_query = torch.where(occupied, values, 1.0 / (N * widths))  # empty region: one sample
        raw = eff_num.unsqueeze(1) / v_query.pow(self.alpha)  # S_c / v^α (Eq. 1)
        n = counts.sum(dim=1, keepdim=True)
        if self.intra_norm == 'epoch':
            mean_raw = (counts * raw).sum(dim=1, keepdim=True) / n.clamp_min(1)
            seen = (n > 0) & (mean_raw > 0)
            weights = torch.where(seen, raw / mean_raw.clamp_min(1e-300), torch.ones_like(raw))
            if self.max_weight is not None:
                weights = weights.clamp(max=self.max_weight)
        else:  # 'none' uses Eq. 1 as it is, 'batch' normalises it in each batch (forward)
            weights = torch.where(n > 0, raw, torch.ones_like(raw))

        self.edge_idx.copy_(edges)
        self.density.copy_(counts / n.clamp_min(1))  # momentum restarts from the epoch's shares
        self.region_counts.copy_(counts)
        self.region_values.copy_(values)
        self.weight_table.copy_(weights)
        self.eff_num.copy_(eff_num)
        self.has_hist.fill_(True)
        self.num_updates.add_(1)
        self.fine_hist.zero_()
        self._hist_ready = True

    # -- state --------------------------------------------------------------------------------
    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        self._hist_ready = bool(self.has_hist)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, bins={self.bins}, alpha={self.alpha}, '
                f'gamma={self.gamma}, adaptive_bins={self.adaptive_bins}, '
                f'use_intra={self.use_intra}, use_inter={self.use_inter}, '
                f'max_weight={self.max_weight}, intra_norm={self.intra_norm!r}, '
                f'aura={self.aura!r}, momentum={self.momentum}, fine_bins={self.fine_bins}, '
                f'min_width={self.min_fine}/{self.fine_bins}')
