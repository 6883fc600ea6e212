"""UMAP's fuzzy neighbour graph (paper §2.1) as a set of weighted edges.

kNN distances → per-point ρ_i and σ_i (numba) → directed memberships
w_{j|i} = exp(−(d_ij − ρ_i)/σ_i) → fuzzy union p_ij = w + wᵀ − w∘wᵀ →
weak edges pruned → :class:`EdgeSet`. Graphs are cached by
(data fingerprint, n_neighbors, metric, ...), so changing ``min_dist`` or a
loss weight never rebuilds one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse

from .knn import nearest_neighbors

SMOOTH_K_TOLERANCE = 1e-5
MIN_K_DIST_SCALE = 1e-3


@dataclass(frozen=True)
class EdgeSet:
    """Directed edges of the symmetric graph (both (i, j) and (j, i) appear)."""

    head: np.ndarray  # int64
    tail: np.ndarray  # int64
    weight: np.ndarray  # float32 in (0, 1]
    n_vertices: int

    def __len__(self) -> int:
        return int(self.head.shape[0])

    def to_sparse(self) -> scipy.sparse.csr_matrix:
        return scipy.sparse.csr_matrix(
            (self.weight, (self.head, self.tail)), shape=(self.n_vertices, self.n_vertices))


@dataclass(frozen=True)
class NeighborGraph:
    """Everything the graph step learned: the kNN, the bandwidths and the edges."""

    knn_indices: np.ndarray
    knn_dists: np.ndarray
    sigmas: np.ndarray
    rhos: np.ndarray
    edges: EdgeSet
    n_neighbors: int
    metric: str


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


def edges_from_graph(graph: scipy.sparse.spmatrix, prune_epochs: int | None = 200) -> EdgeSet:
    """Turn a fuzzy graph into edges, pruning those umap-learn would never sample.

    umap-learn drops edges with weight < max_weight / n_epochs (they would be
    sampled less than once); ``prune_epochs=None`` keeps every edge.
    """
    coo = graph.tocoo()
    weight = coo.data.astype(np.float32)
    keep = weight > 0
    if prune_epochs:
        keep &= weight >= weight.max(initial=0.0) / float(prune_epochs)
    return EdgeSet(head=coo.row[keep].astype(np.int64), tail=coo.col[keep].astype(np.int64),
                   weight=weight[keep], n_vertices=graph.shape[0])


def build_graph(
    X: np.ndarray,
    n_neighbors: int = 15,
    metric: str = "euclidean",
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    knn_method: str = "auto",
    random_state: int | None = None,
    prune_epochs: int | None = 200,
    cache: bool = True,
) -> NeighborGraph:
    """kNN (or the given ``knn=(indices, distances)``) → fuzzy graph → edges, cached."""
    key = None
    if cache and knn is None:
        key = (fingerprint(X), n_neighbors, metric, knn_method, random_state, prune_epochs)
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
    if knn is None:
        indices, dists = nearest_neighbors(X, n_neighbors, metric, knn_method, random_state)
    else:
        indices, dists = (np.asarray(a) for a in knn)
        if indices.shape[0] != X.shape[0]:
            raise ValueError(f"precomputed kNN has {indices.shape[0]} rows, data has {X.shape[0]}")
        indices, dists = indices[:, :n_neighbors], dists[:, :n_neighbors]
    graph, sigmas, rhos = fuzzy_simplicial_set(indices, dists, n_neighbors)
    result = NeighborGraph(knn_indices=indices, knn_dists=dists, sigmas=sigmas, rhos=rhos,
                           edges=edges_from_graph(graph, prune_epochs),
                           n_neighbors=n_neighbors, metric=metric)
    if key is not None:
        _CACHE.put(key, result)
    return result


def fingerprint(X) -> str:
    """A content hash of the data (shape, dtype and bytes) for the graph cache."""
    h = hashlib.blake2b(digest_size=16)
    if scipy.sparse.issparse(X):
        X = X.tocsr()
        for part in (X.data, X.indices, X.indptr):
            h.update(np.ascontiguousarray(part).data)
    else:
        X = np.ascontiguousarray(X)
        h.update(memoryview(X).cast("B"))
    h.update(repr((X.shape, str(X.dtype))).encode())
    return h.hexdigest()


class _GraphCache:
    """A small thread-safe LRU: graphs are shared between app sessions."""

    def __init__(self, size: int = 4):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE = _GraphCache()
clear_graph_cache = _CACHE.clear
