"""UMAP's fuzzy simplicial set in torch: the same graph as :mod:`.fuzzy`, on any device.

:mod:`.fuzzy` searches each point's σ in a numba loop, one row after another;
here all rows search at once (64 halvings of a vector of brackets), and the
fuzzy union is a sort of (i, j) keys, so a GPU builds the graph where its kNN
already is. The arithmetic follows :mod:`.fuzzy` step for step (ρ and the
memberships in float32, the search in float64), so both give the same graph
(``tests/test_graph_device.py``). Devices without float64 (Apple's MPS) search
in float32.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse
import torch

from .fuzzy import MIN_K_DIST_SCALE, SMOOTH_K_TOLERANCE


def _search_dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "mps" else torch.float64


def _nth_positive(distances: torch.Tensor, positive: torch.Tensor, nth: int) -> torch.Tensor:
    """Each row's ``nth`` (1-based) positive distance in column order (0 where none)."""
    pick = positive & (positive.cumsum(1) == nth)
    return (distances * pick).sum(1)


def rho_and_gaps(distances: torch.Tensor, local_connectivity: float = 1.0
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """ρ (distance to the ``local_connectivity``-th nearest non-identical neighbour,
    interpolated) and d_ij − ρ_i, both float32 as :func:`.fuzzy.smooth_knn_dist` has them."""
    d = distances.float()
    positive = d > 0.0
    n_positive = positive.sum(1)
    index = int(math.floor(local_connectivity))
    frac = local_connectivity - index
    if index > 0:
        rho = _nth_positive(d, positive, index)
        if frac > SMOOTH_K_TOLERANCE:
            rho = rho + frac * (_nth_positive(d, positive, index + 1) - rho)
    else:
        rho = frac * _nth_positive(d, positive, 1)
    largest = torch.where(positive, d, torch.zeros_like(d)).amax(1)
    rho = torch.where(n_positive >= local_connectivity, rho,
                      torch.where(n_positive > 0, largest, torch.zeros_like(rho)))
    return rho, d - rho[:, None]


def smooth_knn_dist(distances: torch.Tensor, k: float, n_iter: int = 64,
                    local_connectivity: float = 1.0, bandwidth: float = 1.0
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per point ``(σ, ρ)`` with Σ_j exp(−(d_ij − ρ)/σ) = log2(k) · bandwidth, every row
    bisected at once; a row stops moving once within tolerance, as in the numba loop."""
    dtype = _search_dtype(distances.device)
    rho, gaps = rho_and_gaps(distances, local_connectivity)
    gaps = gaps[:, 1:].to(dtype)
    target = math.log2(k) * bandwidth
    n = distances.shape[0]
    lo = torch.zeros(n, dtype=dtype, device=distances.device)
    hi = torch.full_like(lo, math.inf)
    mid = torch.ones_like(lo)
    active = torch.ones(n, dtype=torch.bool, device=distances.device)
    for _ in range(n_iter):
        psum = torch.where(gaps > 0, torch.exp(-(gaps / mid[:, None])), 1.0).sum(1)
        active &= (psum - target).abs() >= SMOOTH_K_TOLERANCE
        above = active & (psum > target)
        below = active & ~above
        hi = torch.where(above, mid, hi)
        lo = torch.where(below, mid, lo)
        halved = (lo + hi) / 2.0
        mid = torch.where(above, halved,
                          torch.where(below, torch.where(torch.isinf(hi), mid * 2, halved), mid))
    d = distances.float()
    row_mean = d.mean(1)
    floor = MIN_K_DIST_SCALE * torch.where(rho > 0.0, row_mean, d.mean())
    sigma = torch.maximum(mid.float(), floor)
    return sigma, rho


def membership_strengths(knn_indices: torch.Tensor, knn_dists: torch.Tensor,
                         sigmas: torch.Tensor, rhos: torch.Tensor
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Directed weights w_{j|i} (paper eq. 2.2) as flat (rows, cols, values); missing
    neighbours (−1) and the zero self-loops left out."""
    n, k = knn_indices.shape
    rows = torch.arange(n, device=knn_indices.device).repeat_interleave(k)
    cols = knn_indices.reshape(-1)
    gap = (knn_dists.float() - rhos[:, None]).reshape(-1)
    sigma = sigmas.repeat_interleave(k)
    vals = torch.where((gap <= 0.0) | (sigma == 0.0), torch.ones_like(gap),
                       torch.exp(-(gap / sigma)))
    vals = torch.where(cols == rows, torch.zeros_like(vals), vals)
    keep = (cols >= 0) & (vals != 0)
    return rows[keep], cols[keep], vals[keep]


def fuzzy_union(rows: torch.Tensor, cols: torch.Tensor, vals: torch.Tensor, n: int,
                set_op_mix_ratio: float = 1.0
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """p = w + wᵀ − w∘wᵀ (eq. 2.3; ``set_op_mix_ratio`` blends in the intersection), as
    flat (rows, cols, values) sorted by row then column, zeros dropped."""
    m = rows.shape[0]
    keys, inverse = torch.unique(torch.cat([rows * n + cols, cols * n + rows]),
                                 return_inverse=True)
    forward = torch.zeros(keys.shape[0], dtype=vals.dtype, device=vals.device)
    backward = torch.zeros_like(forward)
    forward.index_add_(0, inverse[:m], vals)  # w_ij (summed, as a sparse matrix sums repeats)
    backward.index_add_(0, inverse[m:], vals)  # w_ji
    product = forward * backward
    union = set_op_mix_ratio * (forward + backward - product) + (1.0 - set_op_mix_ratio) * product
    keep = union != 0
    keys = keys[keep]
    return keys // n, keys % n, union[keep]


def fuzzy_simplicial_set(knn_indices: np.ndarray | torch.Tensor,
                         knn_dists: np.ndarray | torch.Tensor, n_neighbors: int | None = None,
                         set_op_mix_ratio: float = 1.0, local_connectivity: float = 1.0,
                         device: torch.device | str = "cpu"
                         ) -> tuple[scipy.sparse.csr_matrix, np.ndarray, np.ndarray]:
    """:func:`.fuzzy.fuzzy_simplicial_set` computed on ``device``: ``(graph, sigmas, rhos)``
    with ``graph`` an n×n CSR matrix on the host."""
    device = torch.device(device)
    indices = torch.as_tensor(knn_indices).to(device, torch.int64)
    dists = torch.as_tensor(knn_dists).to(device, torch.float32)
    if indices.shape != dists.shape or indices.ndim != 2:
        raise ValueError(f"kNN indices {tuple(indices.shape)} and distances {tuple(dists.shape)} "
                         "must be two arrays of the same (n, k) shape")
    if not bool(torch.isfinite(dists[indices >= 0]).all()):
        raise ValueError("kNN distances contain NaN or inf")
    n, k = indices.shape
    sigmas, rhos = smooth_knn_dist(dists, float(k if n_neighbors is None else n_neighbors),
                                   local_connectivity=float(local_connectivity))
    rows, cols, vals = fuzzy_union(*membership_strengths(indices, dists, sigmas, rhos), n,
                                   set_op_mix_ratio)
    graph = scipy.sparse.csr_matrix((vals.cpu().numpy(), (rows.cpu().numpy(), cols.cpu().numpy())),
                                    shape=(n, n))
    return graph, sigmas.cpu().numpy(), rhos.cpu().numpy()
