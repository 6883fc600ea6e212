"""UMAP's fuzzy-set cross-entropy of a finished embedding (paper eq. 2.8).

Training minimises a sampled estimate of this objective; to compare
optimisers, networks or a parametric against a non-parametric embedding
(paper Figs. 6 and 15) one needs the objective itself, evaluated the same way
for any ``Z``. Up to terms that do not depend on ``Z``,

    C(Z) = Σ_edges p_ij · (−log q_ij)  +  Σ_{i≠j} (1 − p_ij) · (−log(1 − q_ij)),

with q_ij = 1 / (1 + a d_ij^{2b}). The attraction runs over the graph's
edges exactly. The repulsion runs over all n(n−1) ordered pairs: exactly, in
chunks, when n ≤ ``exact_limit``, otherwise as an unbiased estimate from
``n_pairs`` uniform random pairs. Values are reported per point (divided by n)
so data sets of different sizes read alike.

:func:`sampled_objective` is the other yardstick: the loss negative sampling
actually minimises, which repels far less than eq. 2.8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..graph.edges import EdgeSet
from ..training.curve import find_ab_params
from ..training.losses import similarity_logit
from ..validation import check_array, check_same_rows


@dataclass(frozen=True)
class CrossEntropy:
    """The objective per point: ``attraction + repulsion = total``; ``exact`` says
    whether the repulsion was summed over all pairs or estimated."""

    attraction: float
    repulsion: float
    exact: bool

    @property
    def total(self) -> float:
        return self.attraction + self.repulsion


def _attraction_and_edge_repulsion(z: torch.Tensor, edges: EdgeSet, a: float, b: float):
    head, tail = torch.from_numpy(edges.head), torch.from_numpy(edges.tail)
    w = torch.from_numpy(edges.weight).double()
    u = similarity_logit((z[head] - z[tail]).pow(2).sum(-1), a, b)
    # −log q = softplus(u); −log(1 − q) = softplus(−u)
    return float((w * F.softplus(u)).sum()), float((w * F.softplus(-u)).sum())


def _all_pairs_repulsion(z: torch.Tensor, a: float, b: float, row_weight: torch.Tensor | None = None,
                         chunk: int = 2048) -> float:
    """Σ_i w_i Σ_{j≠i} −log(1 − q_ij) (w_i = 1 without ``row_weight``), in row chunks."""
    total = 0.0
    for start in range(0, z.shape[0], chunk):
        block = z[start:start + chunk]
        rep = F.softplus(-similarity_logit(torch.cdist(block, z).pow(2), a, b))
        rows = torch.arange(block.shape[0])
        rep[rows, rows + start] = 0.0  # i = j is not a pair
        per_row = rep.sum(1)
        if row_weight is not None:
            per_row = per_row * row_weight[start:start + chunk]
        total += float(per_row.sum())
    return total


def _sampled_repulsion(z: torch.Tensor, a: float, b: float, n_pairs: int, seed: int) -> float:
    n = z.shape[0]
    g = torch.Generator().manual_seed(seed)
    i = torch.randint(n, (n_pairs,), generator=g)
    j = (i + torch.randint(1, n, (n_pairs,), generator=g)) % n  # uniform over j ≠ i
    rep = F.softplus(-similarity_logit((z[i] - z[j]).pow(2).sum(-1), a, b))
    return float(rep.mean()) * n * (n - 1)


def _prepared(Z, edges: EdgeSet, min_dist: float, spread: float
              ) -> tuple[torch.Tensor, int, float, float]:
    """``(z, n, a, b)``: the checked embedding as a float64 tensor, its rows, the curve."""
    Z = check_array(Z, name="Z", dtype=np.float64)
    check_same_rows(Z.shape[0], edges.n_vertices, "Z", "the graph (n_vertices)")
    a, b = find_ab_params(min_dist, spread)
    return torch.from_numpy(Z), Z.shape[0], a, b


def umap_cross_entropy(
    Z: np.ndarray,
    edges: EdgeSet,
    min_dist: float = 0.1,
    spread: float = 1.0,
    *,
    exact_limit: int = 20_000,
    n_pairs: int = 5_000_000,
    seed: int = 0,
) -> CrossEntropy:
    """The fuzzy-set cross-entropy of embedding ``Z`` (n × d) on graph ``edges``, per point.

    Same ``seed`` → same pairs, so two embeddings of one graph are compared on
    the same sample when the repulsion is estimated.
    """
    z, n, a, b = _prepared(Z, edges, min_dist, spread)
    attraction, edge_repulsion = _attraction_and_edge_repulsion(z, edges, a, b)
    exact = n <= exact_limit
    everything = _all_pairs_repulsion(z, a, b) if exact else _sampled_repulsion(z, a, b, n_pairs, seed)
    # Σ (1 − p) · r = Σ_all r − Σ_edges p · r
    return CrossEntropy(attraction / n, (everything - edge_repulsion) / n, exact)


def sampled_objective(
    Z: np.ndarray,
    edges: EdgeSet,
    min_dist: float = 0.1,
    spread: float = 1.0,
    negative_sample_rate: int = 5,
) -> CrossEntropy:
    """The loss UMAP's negative sampling minimises in expectation, per point, exactly.

    Edges are drawn ∝ p_ij and each drawn edge repels its head from m uniform
    points, so pair (i, k) is repelled with weight m·d_i / n (d_i = Σ_j p_ij),
    not 1 − p_ik as in :func:`umap_cross_entropy` — on MNIST about n / 30 times
    less repulsion. This is the objective SGD-trained embeddings (umap-learn's
    and this library's) are actually optimised for (Damrich & Hamprecht 2021);
    rank optimisers by it, and by eq. 2.8 only for the stated fuzzy-set loss.
    Exact over all pairs (O(n²) time in chunks; meant for n up to ~20k).
    """
    z, n, a, b = _prepared(Z, edges, min_dist, spread)
    attraction, _ = _attraction_and_edge_repulsion(z, edges, a, b)
    degree = torch.zeros(n, dtype=torch.float64).index_add_(
        0, torch.from_numpy(edges.head), torch.from_numpy(edges.weight).double())
    repulsion = negative_sample_rate / n * _all_pairs_repulsion(z, a, b, degree)
    return CrossEntropy(attraction / n, repulsion / n, True)
