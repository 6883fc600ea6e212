"""Edge sampling for the UMAP loss (paper §2.3).

Positive edges are drawn with probability ∝ weight at every step from a
cumulative table (memory O(edges); no repeated edge list is ever built).
Negatives are uniform random vertices; with ``negatives="in_batch"``, m
random other points of the same batch (no extra rows to encode); with
``negatives="batch_all"``, every head is repelled from every tail of the
batch, each pair weighted m / B so the expected loss is unchanged but its
variance far lower (the distances are cheap; the forward pass is not). Past
``pair_block`` edges a batch is cut into blocks, each all-pairs within itself:
the pairs then grow as B · block, not B² (at 4,096 edges the full square cost
a CPU step 1.4 s, most of it the square).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .edges import EdgeSet


@dataclass
class EdgeBatch:
    """One step's work. ``nodes`` are the rows to encode (unique on the CPU, except with all-pairs
    negatives); the ``*_pos`` fields index into ``nodes`` (so everything is encoded in
    one forward pass)."""

    nodes: torch.Tensor
    head_pos: torch.Tensor
    tail_pos: torch.Tensor
    neg_head_pos: torch.Tensor
    neg_tail_pos: torch.Tensor
    negative_weight: float = 1.0  # weight of each repelled pair relative to one sampled negative
    all_pairs: bool = False  # negatives are every (neg_head, neg_tail) combination
    neg_tail_weight: torch.Tensor | None = None  # per neg_tail importance weight (all_pairs)
    pair_blocks: int = 1  # all_pairs: heads and tails cut into this many equal blocks


NEGATIVE_MODES = ("uniform", "in_batch", "batch_all")
#: ``batch_all`` batches larger than this are cut into blocks of at most this many edges.
PAIR_BLOCK = 1024


def batch_layout(batch_size: int, negatives: str, pair_block: int | None = None
                 ) -> tuple[int, int]:
    """``(edges per batch, all-pairs blocks)``: ``batch_all`` batches past ``pair_block``
    (default :data:`PAIR_BLOCK`) edges come in equal blocks, so they may grow by fewer
    edges than there are blocks."""
    if negatives != "batch_all":
        return int(batch_size), 1
    blocks = -(-int(batch_size) // int(pair_block or PAIR_BLOCK))
    return blocks * -(-int(batch_size) // blocks), blocks


def steps_per_epoch(edge_mass: float, batch_size: int) -> int:
    """Steps of ``batch_size`` edges in one pass over the edge mass Σ p_ij (umap-learn's
    epoch)."""
    return max(1, int(np.ceil(edge_mass / batch_size)))


class EdgeSampler:
    """Draws :class:`EdgeBatch` es from an :class:`EdgeSet`."""

    def __init__(
        self,
        edges: EdgeSet,
        batch_size: int = 1024,
        negative_sample_rate: int = 5,
        negatives: str = "uniform",
        generator: torch.Generator | None = None,
        device: torch.device | str = "cpu",
        pair_block: int | None = None,
    ) -> None:
        if len(edges) == 0:
            raise ValueError("the neighbour graph has no edges to train on")
        if negatives not in NEGATIVE_MODES:
            raise ValueError(f"negatives must be one of {NEGATIVE_MODES}, got {negatives!r}")
        self.batch_size, self.pair_blocks = batch_layout(batch_size, negatives, pair_block)
        self.negative_sample_rate = int(negative_sample_rate)
        self.negatives = negatives
        self.n_vertices = edges.n_vertices
        self.generator = generator
        self.device = torch.device(device)
        self.head = torch.from_numpy(edges.head).to(self.device)
        self.tail = torch.from_numpy(edges.tail).to(self.device)
        weight = torch.from_numpy(edges.weight.astype(np.float64))
        cdf = torch.cumsum(weight, 0)
        self.edge_mass = float(cdf[-1])
        # draws are float64 (an edge of weight 1e-3 among 10^6 is below float32's
        # resolution near 1), except on Apple's MPS, which has no float64
        self.dtype = torch.float32 if self.device.type == "mps" else torch.float64
        self.cdf = (cdf / cdf[-1]).to(self.device, self.dtype)
        degree = np.bincount(edges.tail, weights=edges.weight, minlength=self.n_vertices)
        inverse_degree = np.where(degree > 0, degree[degree > 0].mean() / np.maximum(degree, 1e-12), 0.0)
        self.inverse_degree = torch.from_numpy(inverse_degree.astype(np.float32)).to(self.device)
        # with all-pairs negatives heads are rows 0..B-1 of a batch, tails B..2B-1: every step
        self._drawn_positions = torch.arange(2 * self.batch_size, device=self.device)

    @property
    def steps_per_epoch(self) -> int:
        """One epoch is one pass over the edge mass Σ p_ij, as in umap-learn."""
        return steps_per_epoch(self.edge_mass, self.batch_size)

    def _rand(self, n: int) -> torch.Tensor:
        """``n`` uniform draws on the sampler's device, by its generator (which must live
        there too: no random numbers cross from the host)."""
        return torch.rand(n, generator=self.generator, dtype=self.dtype, device=self.device)

    def _positions(self, drawn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(nodes, inverse)``: the rows to encode and each drawn row's place among them.
        On the CPU the repeats are encoded once; elsewhere finding them (a sort whose
        output size the host must read) costs more than encoding them again."""
        if self.device.type == "cpu":
            return torch.unique(drawn, return_inverse=True)
        return drawn, torch.arange(drawn.shape[0], device=self.device)

    def sample(self) -> EdgeBatch:
        B, m = self.batch_size, self.negative_sample_rate
        picks = torch.searchsorted(self.cdf, self._rand(B)).clamp_max(self.cdf.shape[0] - 1)
        head, tail = self.head[picks], self.tail[picks]
        if self.negatives == "uniform":
            negatives = (self._rand(B * m) * self.n_vertices).long().clamp_max(self.n_vertices - 1)
            nodes, inverse = self._positions(torch.cat([head, tail, negatives]))
            head_pos, tail_pos, neg_tail_pos = inverse[:B], inverse[B:2 * B], inverse[2 * B:]
        elif self.negatives == "batch_all":
            # all (head, tail) pairs of each block. Rows are encoded as drawn, repeats
            # included: finding the unique rows (a sort per step) costs more than encoding
            # the few repeats, and the gradient is the same.
            head_pos, tail_pos = self._drawn_positions[:B], self._drawn_positions[B:]
            return EdgeBatch(nodes=torch.cat([head, tail]), head_pos=head_pos, tail_pos=tail_pos,
                             neg_head_pos=head_pos, neg_tail_pos=tail_pos,
                             negative_weight=m * self.pair_blocks / B, all_pairs=True,
                             neg_tail_weight=self.inverse_degree[tail],
                             pair_blocks=self.pair_blocks)
        else:
            nodes, inverse = self._positions(torch.cat([head, tail]))
            head_pos, tail_pos = inverse[:B], inverse[B:]
            # each head is repelled from the tails of m random other edges of the batch
            shuffle = (self._rand(B * m) * B).long().clamp_max(B - 1)
            neg_tail_pos = tail_pos[shuffle]
        return EdgeBatch(nodes=nodes, head_pos=head_pos, tail_pos=tail_pos,
                         neg_head_pos=head_pos.repeat_interleave(m), neg_tail_pos=neg_tail_pos)
