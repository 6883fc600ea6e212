"""k-nearest-neighbour search: exact for small problems, NN-descent beyond.

Every row's neighbour list starts with the row itself at distance 0, as in
umap-learn, so that ``knn_indices[:, 0] == arange(n)``.
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from sklearn.metrics import pairwise_distances

#: Metrics for which exact search runs as a chunked matrix product in torch.
_MATMUL_METRICS = ("euclidean", "cosine")
#: Values of ``method``: exact search, NN-descent, or exact while the work is small.
KNN_METHODS = ("auto", "exact", "approx")
#: Work (n * n * d) below which "auto" uses exact search rather than NN-descent, by
#: device type: a GPU's matrix products make exact search win far longer (MNIST,
#: 2.8e12, is a few TFLOP; a million rows of 64 features 6.4e13).
EXACT_WORK_LIMIT = 1e11
DEVICE_EXACT_WORK_LIMIT = {"cpu": EXACT_WORK_LIMIT, "cuda": 1e15, "mps": 1e14}
#: Scores per chunk of the exact search on an accelerator (1 GiB of float32).
DEVICE_CHUNK_SCORES = 2**28


def choose_knn_method(n_rows: int, n_features: int, method: str = "auto",
                      metric: str = "euclidean", device: torch.device | str = "cpu") -> str:
    """The search :func:`nearest_neighbors` runs: ``"exact"`` or ``"approx"`` (NN-descent).

    ``"auto"`` is exact while ``n² · d`` is below the device's limit
    (:data:`DEVICE_EXACT_WORK_LIMIT`; on accelerators only for the metrics that run
    as matrix products). The one rule for every caller that must know in advance.
    """
    if method not in KNN_METHODS:
        raise ValueError(f"method must be one of {KNN_METHODS}, got {method!r}")
    if method != "auto":
        return method
    kind = torch.device(device).type
    limit = DEVICE_EXACT_WORK_LIMIT.get(kind, EXACT_WORK_LIMIT)
    if kind != "cpu" and metric not in _MATMUL_METRICS:
        limit = EXACT_WORK_LIMIT
    return "exact" if float(n_rows) * n_rows * n_features <= limit else "approx"


def nearest_neighbors(
    X: np.ndarray,
    n_neighbors: int,
    metric: str = "euclidean",
    method: str = "auto",
    random_state: int | None = None,
    n_jobs: int = -1,
    device: torch.device | str = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(indices, distances)`` of shape ``(n, n_neighbors)``, self first.

    ``method`` is ``"exact"``, ``"approx"`` (pynndescent) or ``"auto"``
    (:func:`choose_knn_method`). ``metric="precomputed"`` takes a square
    distance matrix. ``device``: where exact Euclidean or cosine search runs its
    matrix products (the answer comes back to the host).
    """
    n = X.shape[0]
    if n_neighbors > n:
        raise ValueError(f"n_neighbors={n_neighbors} is larger than the number of samples ({n})")
    if metric == "precomputed":
        if X.ndim != 2 or X.shape[0] != X.shape[1]:
            raise ValueError(f"metric='precomputed' needs a square distance matrix, got {X.shape}")
        return _top_k_rows(np.asarray(X, dtype=np.float32), n_neighbors)
    method = choose_knn_method(n, X.shape[1], method, metric, device)
    if method == "approx":
        return _nndescent(X, n_neighbors, metric, random_state, n_jobs)
    if metric in _MATMUL_METRICS:
        return _exact_matmul(X, n_neighbors, metric, torch.device(device))
    return _exact_pairwise(X, n_neighbors, metric)


def _exact_matmul(X: np.ndarray, k: int, metric: str, device: torch.device,
                  chunk: int = 2048):
    """Exact kNN by chunked matrix products on ``device``; the candidates' distances
    recomputed exactly (the expanded form loses digits), then sorted on the host."""
    data = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(device)
    if metric == "cosine":
        data = torch.nn.functional.normalize(data, dim=1)
    sq = (data * data).sum(1)
    n = data.shape[0]
    if device.type != "cpu":
        chunk = max(1, min(n, DEVICE_CHUNK_SCORES // max(n, 1)))
    found, exact = [], []
    with torch.no_grad():
        for start in range(0, n, chunk):
            block = data[start:start + chunk]
            # squared euclidean up to a per-row constant: |y|^2 - 2 x.y
            score = sq[None, :] - 2.0 * block @ data.T
            top = torch.topk(score, k, dim=1, largest=False).indices
            rows = data[top]
            if metric == "cosine":
                dist = (1.0 - (rows * block[:, None, :]).sum(-1)).clamp_min(0.0)
            else:
                dist = (rows - block[:, None, :]).norm(dim=-1)
            found.append(top.cpu())
            exact.append(dist.cpu())
    indices, dists = _self_first(torch.cat(found).numpy(), torch.cat(exact).numpy())
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
