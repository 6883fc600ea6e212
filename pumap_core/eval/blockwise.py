"""Chunked exact-distance kernels behind :mod:`pumap_core.eval.metrics`.

The rank-based quality metrics (trustworthiness, R_NX) need, for every point,
where the other points fall in its distance ordering. Materialising the full
n×n distance or rank matrices costs 0.4–0.8 GB at n = 10,000 and grows with
n², so everything here works on blocks of rows: a block of squared distances
is computed by one matrix product, reduced to a few numbers, and dropped.
Memory stays O(chunk · n); time is O(n² d) for the products plus, for the
full R_NX curve, O(n² log n) for the sorts.

Squared distances are used for the rank metrics because only orderings
matter; the silhouette kernel takes square roots of the same blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Target number of matrix entries per block (about 32 MB of float64), and a
# floor on rows per block: thin blocks make the BLAS products several times
# slower (measured: 69-row blocks 2.7x slower than 419-row ones at n=10,000).
_BLOCK_ENTRIES = 1 << 22
_MIN_ROWS = 128


# One helper thread (started on first use) so the two spaces sort concurrently.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pumap-metrics")


def chunk_rows(n: int, per_row: int = 1) -> int:
    """Rows per block: about ``_BLOCK_ENTRIES`` entries, at least ``_MIN_ROWS`` rows."""
    rows = max(_MIN_ROWS, _BLOCK_ENTRIES // max(1, n * per_row))
    return int(max(1, min(n, rows)))


def sq_dist_chunks(
    A: np.ndarray, rows: int | None = None, exact: bool = True
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, D)`` with ``D[r, j] = ||A[start + r] - A[j]||²``.

    Computed as ``|a|² + |b|² − 2 a·b`` on column-centred data (centring
    shrinks the norms and hence the cancellation error of this identity),
    in ``A``'s own dtype, clipped at 0. With ``exact=False`` the per-row
    constant ``|a|²`` is left out and nothing is clipped: each row then has
    the same *ordering* as its distances, which is all the rank metrics need,
    for two fewer passes over the block. Self-distances are not touched;
    callers set them to whatever sentinel their ordering needs.
    """
    n = A.shape[0]
    A = A - A.mean(axis=0, dtype=np.float64).astype(A.dtype)
    sq = np.einsum("ij,ij->i", A, A)
    A2 = A * A.dtype.type(-2)
    rows = rows or chunk_rows(n)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        D = A2[start:stop] @ A.T
        D += sq[None, :]
        if exact:
            D += sq[start:stop, None]
            np.maximum(D, 0, out=D)
        yield start, D


def set_self(D: np.ndarray, start: int, value: float) -> None:
    """Overwrite the self-distances of block ``D`` (rows ``start:``) in place."""
    r = np.arange(D.shape[0])
    D[r, start + r] = value


def rank_penalty(D: np.ndarray, start: int, nbrs: np.ndarray, k: int) -> int:
    """Σ max(0, r(i, j) − k) over a block of rows i and their ``nbrs`` j.

    ``r(i, j) = 1 + #{l ≠ i : d(i, l) < d(i, j)}`` is j's rank among i's
    data-space neighbours. Only the ranks of the k embedding neighbours are
    needed, so they are counted by comparison (O(k n) per row) instead of
    argsorting whole rows (O(n log n) and an n-sized inverse permutation).
    ``D`` is modified (self-distance set to +inf).
    """
    set_self(D, start, np.inf)
    dj = np.take_along_axis(D, nbrs, axis=1)  # (c, k)
    ranks = 1 + np.count_nonzero(D[:, None, :] < dj[:, :, None], axis=-1)
    return int(np.maximum(ranks - k, 0).sum())


def _sorted_head(D: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` smallest entries of each row, in increasing order."""
    n = D.shape[1]
    if 2 * m >= n:  # a full sort is cheaper than partition + sort here
        return np.argsort(D, axis=1)[:, :m]
    idx = np.argpartition(D, m - 1, axis=1)[:, :m]
    order = np.argsort(np.take_along_axis(D, idx, axis=1), axis=1)
    return np.take_along_axis(idx, order, axis=1)


def coranking_max_hist(DX: np.ndarray, DZ: np.ndarray, start: int, max_k: int) -> np.ndarray:
    """Histogram of ``max(ρ_ij, r_ij)`` for a block of rows, bins 0..max_k+1.

    ρ and r are the ranks of j around i in data and embedding space (self has
    rank 0). Point j lies in both K-neighbourhoods of i exactly when
    max(ρ_ij, r_ij) ≤ K, so the cumulative sum of this histogram is the sum
    of the upper-left K×K block of the co-ranking matrix for every K at once;
    the co-ranking matrix itself is never formed. Ranks above ``max_k`` are
    pooled into the last bin. ``DX``/``DZ`` are modified (self set to −inf).
    The two row sorts dominate the cost; they run concurrently. (torch's
    multi-threaded sort was tried: faster on idle cores, much slower on busy
    ones.)
    """
    c, n = DX.shape
    set_self(DX, start, -np.inf)
    set_self(DZ, start, -np.inf)
    m = min(n, max_k + 1)  # positions 0..max_k, self included
    # numpy's sorts release the GIL: sort the two spaces on two threads.
    fut = _POOL.submit(_sorted_head, DZ, m)
    ox = _sorted_head(DX, m)
    oz = fut.result()
    pos = np.arange(m)[None, :]
    rz = np.full((c, n), max_k + 1, dtype=np.int64)  # int64: np.bincount is slow on int32
    np.put_along_axis(rz, oz, pos, axis=1)
    both = np.maximum(np.take_along_axis(rz, ox, axis=1), pos)
    return np.bincount(both.ravel(), minlength=max_k + 2)[: max_k + 2]


def rnx_from_hist(hist: np.ndarray, n: int, max_k: int) -> np.ndarray:
    """R_NX(K) for K = 1..max_k from the pooled ``max(ρ, r)`` histogram.

    Q_NX(K) = (1 / (K N)) Σ_{k,l ≤ K} Q_kl and
    R_NX(K) = ((N − 1) Q_NX(K) − K) / (N − 1 − K)  (Lee et al. 2015).
    """
    K = np.arange(1, max_k + 1, dtype=np.float64)
    overlap = np.cumsum(hist[1 : max_k + 1], dtype=np.float64)
    q = overlap / (K * n)
    return ((n - 1) * q - K) / (n - 1 - K)


def silhouette_many(Z: np.ndarray, labelings: list[np.ndarray]) -> list[float]:
    """Mean silhouette of several labelings of ``Z`` from one distance pass.

    Each block of distances is multiplied by the stacked one-hot matrices of
    all labelings, giving every point's summed distance to every cluster.
    Follows sklearn.metrics.silhouette_samples (singletons score 0).
    Labelings with fewer than 2 clusters get NaN.
    """
    n = Z.shape[0]
    codes, counts, offsets = [], [], [0]
    for lab in labelings:
        _, c = np.unique(lab, return_inverse=True)
        codes.append(c.ravel())
        counts.append(np.bincount(c.ravel()))
        offsets.append(offsets[-1] + len(counts[-1]))
    onehot = np.zeros((n, offsets[-1]))
    for c, off in zip(codes, offsets, strict=False):
        onehot[np.arange(n), off + c] = 1.0
    sums = np.empty((n, offsets[-1]))
    for start, D in sq_dist_chunks(Z.astype(np.float64), exact=True):
        np.sqrt(D, out=D)
        set_self(D, start, 0.0)
        sums[start : start + len(D)] = D @ onehot
    scores = []
    for c, cnt, off in zip(codes, counts, offsets, strict=False):
        if len(cnt) < 2:
            scores.append(float("nan"))
            continue
        S = sums[:, off : off + len(cnt)]
        rows = np.arange(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = S[rows, c] / (cnt[c] - 1)
            mean = S / cnt
            mean[rows, c] = np.inf
            b = mean.min(axis=1)
            s = (b - a) / np.maximum(a, b)
        scores.append(float(np.mean(np.nan_to_num(s, nan=0.0))))
    return scores
