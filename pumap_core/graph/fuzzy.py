"""UMAP's fuzzy simplicial set (paper §2.1): from a kNN result to a symmetric graph.

kNN distances → per-point ρ_i and σ_i (numba) → directed memberships
w_{j|i} = exp(−(d_ij − ρ_i)/σ_i) → fuzzy union p_ij = w + wᵀ − w∘wᵀ, as
umap-learn computes it.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse

SMOOTH_K_TOLERANCE = 1e-5
MIN_K_DIST_SCALE = 1e-3


@numba.njit(cache=True)
def smooth_knn_dist(distances, k, n_iter=64, local_connectivity=1.0, bandwidth=1.0):
    """Per point: ρ (distance to the nearest non-identical neighbour) and the σ
    for which Σ_j exp(−(d_ij − ρ)/σ) = log2(k) · bandwidth (binary search)."""
    n = distances.shape[0]
    target = np.log2(k) * bandwidth
    rho = np.zeros(n, dtype=np.float32)
    sigma = np.zeros(n, dtype=np.float32)
    mean_all = np.mean(distances)
    for i in range(n):
        lo = 0.0
        hi = np.inf
        mid = 1.0
        row = distances[i]
        nonzero = row[row > 0.0]
        if nonzero.shape[0] >= local_connectivity:
            index = int(np.floor(local_connectivity))
            frac = local_connectivity - index
            if index > 0:
                rho[i] = nonzero[index - 1]
                if frac > SMOOTH_K_TOLERANCE:
                    rho[i] += frac * (nonzero[index] - nonzero[index - 1])
            else:
                rho[i] = frac * nonzero[0]
        elif nonzero.shape[0] > 0:
            rho[i] = np.max(nonzero)
        for _ in range(n_iter):
            psum = 0.0
            for j in range(1, distances.shape[1]):
                d = distances[i, j] - rho[i]
                psum += np.exp(-(d / mid)) if d > 0 else 1.0
            if np.fabs(psum - target) < SMOOTH_K_TOLERANCE:
                break
            if psum > target:
                hi = mid
                mid = (lo + hi) / 2.0
            else:
                lo = mid
                mid = mid * 2 if hi == np.inf else (lo + hi) / 2.0
        sigma[i] = mid
        floor = MIN_K_DIST_SCALE * (np.mean(row) if rho[i] > 0.0 else mean_all)
        if sigma[i] < floor:
            sigma[i] = floor
    return sigma, rho


@numba.njit(cache=True)
def membership_strengths(knn_indices, knn_dists, sigmas, rhos):
    """Directed weights w_{j|i} (paper eq. 2.2) as COO triples; -1 neighbours skipped."""
    n, k = knn_indices.shape
    rows = np.full(n * k, -1, dtype=np.int64)
    cols = np.full(n * k, -1, dtype=np.int64)
    vals = np.zeros(n * k, dtype=np.float32)
    for i in range(n):
        for j in range(k):
            nb = knn_indices[i, j]
            if nb == -1:
                continue
            if nb == i:
                val = 0.0
            elif knn_dists[i, j] - rhos[i] <= 0.0 or sigmas[i] == 0.0:
                val = 1.0
            else:
                val = np.exp(-((knn_dists[i, j] - rhos[i]) / sigmas[i]))
            rows[i * k + j] = i
            cols[i * k + j] = nb
            vals[i * k + j] = val
    return rows, cols, vals


def fuzzy_simplicial_set(
    knn_indices: np.ndarray,
    knn_dists: np.ndarray,
    n_neighbors: int | None = None,
    set_op_mix_ratio: float = 1.0,
    local_connectivity: float = 1.0,
) -> tuple[scipy.sparse.csr_matrix, np.ndarray, np.ndarray]:
    """The symmetric fuzzy graph of a kNN result, as umap-learn builds it.

    Returns ``(graph, sigmas, rhos)`` with ``graph`` an n×n CSR matrix.
    """
    knn_indices = np.ascontiguousarray(knn_indices, dtype=np.int64)
    knn_dists = np.ascontiguousarray(knn_dists, dtype=np.float32)
    if knn_indices.shape != knn_dists.shape or knn_indices.ndim != 2:
        raise ValueError(f"kNN indices {knn_indices.shape} and distances {knn_dists.shape} "
                         "must be two arrays of the same (n, k) shape")
    if not np.isfinite(knn_dists[knn_indices >= 0]).all():
        raise ValueError("kNN distances contain NaN or inf")
    n, k = knn_indices.shape
    n_neighbors = k if n_neighbors is None else n_neighbors
    sigmas, rhos = smooth_knn_dist(knn_dists, float(n_neighbors),
                                   local_connectivity=float(local_connectivity))
    rows, cols, vals = membership_strengths(knn_indices, knn_dists, sigmas, rhos)
    keep = rows >= 0
    directed = scipy.sparse.coo_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n, n)).tocsr()
    directed.eliminate_zeros()
    transpose = directed.T.tocsr()
    product = directed.multiply(transpose)
    graph = (set_op_mix_ratio * (directed + transpose - product)
             + (1.0 - set_op_mix_ratio) * product).tocsr()
    graph.eliminate_zeros()
    return graph, sigmas, rhos
