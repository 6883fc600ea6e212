"""k-nearest-neighbour search: exact for small problems, NN-descent beyond.

Every row's neighbour list starts with the row itself at distance 0, as in
umap-learn, so that ``knn_indices[:, 0] == arange(n)``.
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from sklearn.metrics import pairwise_distances

from .knn_rule import EXACT_WORK_LIMIT, KNN_METHODS, knn_method_for  # noqa: F401 - re-exported

#: Metrics for which exact search runs as a chunked matrix product in torch.
_MATMUL_METRICS = ("euclidean", "cosine")


def nearest_neighbors(
    X: np.ndarray,
    n_neighbors: int,
    metric: str = "euclidean",
    method: str = "auto",
    random_state: int | None = None,
    n_jobs: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(indices, distances)`` of shape ``(n, n_neighbors)``, self first.

    ``method`` is ``"exact"``, ``"approx"`` (pynndescent) or ``"auto"`` (exact
    while ``n * n * d`` is small). ``metric="precomputed"`` takes a square
    distance matrix.
    """
    n = X.shape[0]
    if n_neighbors > n:
        raise ValueError(f"n_neighbors={n_neighbors} is larger than the number of samples ({n})")
    if metric == "precomputed":
        if X.ndim != 2 or X.shape[0] != X.shape[1]:
            raise ValueError(f"metric='precomputed' needs a square distance matrix, got {X.shape}")
        return _top_k_rows(np.asarray(X, dtype=np.float32), n_neighbors)
    method = knn_method_for(n, X.shape[1], method)
    if method == "approx":
        return _nndescent(X, n_neighbors, metric, random_state, n_jobs)
    if metric in _MATMUL_METRICS:
        return _exact_matmul(X, n_neighbors, metric)
    return _exact_pairwise(X, n_neighbors, metric)


def _exact_matmul(X: np.ndarray, k: int, metric: str, chunk: int = 2048):
    """Exact kNN by chunked matrix products; distances recomputed exactly after."""
    data = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    if metric == "cosine":
        data = torch.nn.functional.normalize(data, dim=1)
    sq = (data * data).sum(1)
    n = data.shape[0]
    indices = np.empty((n, k), dtype=np.int64)
    with torch.no_grad():
        for start in range(0, n, chunk):
            block = data[start:start + chunk]
            # squared euclidean up to a per-row constant: |y|^2 - 2 x.y
            score = sq[None, :] - 2.0 * block @ data.T
            indices[start:start + chunk] = torch.topk(score, k, dim=1, largest=False).indices.numpy()
    indices, _ = _self_first(indices, np.zeros(indices.shape, np.float32))
    rows = data[torch.from_numpy(indices)]
    if metric == "cosine":
        dists = (1.0 - (rows * data[:, None, :]).sum(-1)).clamp_min(0.0)
    else:
        dists = (rows - data[:, None, :]).norm(dim=-1)
    dists = dists.numpy().astype(np.float32)
    dists[:, 0] = 0.0
    order = np.argsort(dists[:, 1:], axis=1, kind="stable") + 1
    indices[:, 1:] = np.take_along_axis(indices, order, 1)
    dists[:, 1:] = np.take_along_axis(dists, order, 1)
    return indices, dists


def _exact_pairwise(X: np.ndarray, k: int, metric: str, chunk: int = 1024):
    n = X.shape[0]
    indices = np.empty((n, k), dtype=np.int64)
    dists = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        block = pairwise_distances(X[start:start + chunk], X, metric=metric).astype(np.float32)
        for r in range(block.shape[0]):
            block[r, start + r] = -1.0  # self first, whatever ties there are
        part = np.argpartition(block, k - 1, axis=1)[:, :k]
        d = np.take_along_axis(block, part, 1)
        order = np.argsort(d, axis=1, kind="stable")
        indices[start:start + chunk] = np.take_along_axis(part, order, 1)
        dists[start:start + chunk] = np.maximum(np.take_along_axis(d, order, 1), 0.0)
    return indices, dists


def _top_k_rows(D: np.ndarray, k: int):
    if not np.isfinite(D).all():
        raise ValueError("the precomputed distance matrix contains NaN or inf")
    if (D < 0).any():
        raise ValueError("the precomputed distance matrix has negative entries")
    D = D.copy()
    np.fill_diagonal(D, -1.0)
    part = np.argpartition(D, k - 1, axis=1)[:, :k]
    d = np.take_along_axis(D, part, 1)
    order = np.argsort(d, axis=1, kind="stable")
    return (np.take_along_axis(part, order, 1).astype(np.int64),
            np.maximum(np.take_along_axis(d, order, 1), 0.0).astype(np.float32))


def _nndescent(X, k, metric, random_state, n_jobs):
    from pynndescent import NNDescent

    n = X.shape[0]
    n_trees = min(64, 5 + int(round((n ** 0.5) / 20.0)))
    n_iters = max(5, int(round(np.log2(n))))
    index = NNDescent(
        X, n_neighbors=k, metric=metric, random_state=random_state, n_trees=n_trees,
        n_iters=n_iters, max_candidates=60, low_memory=True, n_jobs=n_jobs, compressed=True,
    )
    indices, dists = index.neighbor_graph
    return _self_first(indices.astype(np.int64), dists.astype(np.float32))


@numba.njit(cache=True)
def _self_first(indices: np.ndarray, dists: np.ndarray):
    """Put each row's own index in column 0 at distance 0 (inserting it when ties pushed it out)."""
    n, k = indices.shape
    out = np.empty_like(indices)
    out_d = np.empty_like(dists)
    for i in range(n):
        out[i, 0] = i
        out_d[i, 0] = 0.0
        c = 1
        for j in range(k):
            if indices[i, j] != i and c < k:
                out[i, c] = indices[i, j]
                out_d[i, c] = dists[i, j]
                c += 1
    return out, out_d
