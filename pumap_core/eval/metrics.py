"""Embedding quality metrics (paper §5.1 and its supplement).

Local structure: :func:`trustworthiness` (Venna & Kaski 2001) and
:func:`rnx_auc` (Lee, Peluffo-Ordóñez & Verleysen 2015). Class structure:
:func:`knn_accuracy`, :func:`silhouette`, :func:`kmeans_nmi`. Global
structure: :func:`distance_correlation`. :func:`evaluate` runs whichever
apply and returns one flat dict, for benchmarks and the app.

Where scikit-learn has the same metric the numbers agree with it (tested);
the rank metrics are reimplemented because scikit-learn's trustworthiness
argsorts a full n×n matrix (minutes and GBs at n = 10,000). Data-space
distances are Euclidean and computed in the input's precision (float32 stays
float32, anything else becomes float64; on 784-d uniform noise float32 moves
trustworthiness by ~1e-7 here and in scikit-learn alike, float64 agrees
exactly); embedding distances in float64.
Ties: trustworthiness gives tied points their lowest shared rank, R_NX breaks
ties in sort order, scikit-learn breaks them arbitrarily, so exact agreement
holds for tie-free data (on MNIST, whose integer pixels tie often, the
trustworthiness difference measured 2e-8).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..validation import check_array, check_int, check_same_rows
from . import blockwise as _nb

# Seeds: an int, None (fresh entropy) or a numpy Generator.
RandomState = int | np.random.Generator | None

__all__ = [
    "trustworthiness",
    "rnx_curve",
    "rnx_auc",
    "knn_accuracy",
    "silhouette",
    "kmeans_nmi",
    "distance_correlation",
    "evaluate",
]


# --------------------------------------------------------------- validation
def _pair(X: Any, Z: Any, min_rows: int, names: tuple[str, str] = ("X", "Z")
          ) -> tuple[np.ndarray, np.ndarray]:
    """Data and embedding as checked matrices of the same samples."""
    X = check_array(X, name=names[0], dtype=None, min_rows=min_rows)
    Z = check_array(Z, name=names[1], dtype=None, min_rows=min_rows)
    check_same_rows(X.shape[0], Z.shape[0], *names)
    return X, Z


def _as_labels(y: ArrayLike, name: str, n: int, rows_of: str) -> np.ndarray:
    """1-D label array with one label per row of ``rows_of``."""
    if y is None:
        raise TypeError(f"{name} is required, got None")
    if hasattr(y, "detach") and hasattr(y, "cpu"):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per sample), got shape {y.shape}")
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} labels but {rows_of} has {n} rows")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"{name} contains NaN")
    return y


# ------------------------------------------------------------ local structure
def _rank_pass(
    X: np.ndarray, Z: np.ndarray, k: int | None, max_k: int | None
) -> tuple[int, np.ndarray | None]:
    """One chunked pass over data-space distances for trustworthiness and/or R_NX.

    Returns the trustworthiness penalty Σ max(0, r − k) (0 when ``k`` is None)
    and the pooled max(ρ, r) histogram (None when ``max_k`` is None). Sharing
    the pass saves the O(n² d) data-space products when both are wanted.
    """
    n = X.shape[0]
    nbrs = None
    if k is not None:
        from sklearn.neighbors import NearestNeighbors

        # Same neighbour search as sklearn.manifold.trustworthiness (self excluded).
        nbrs = NearestNeighbors(n_neighbors=k).fit(Z).kneighbors(return_distance=False)
    rows = _nb.chunk_rows(n, per_row=1 + (k or 0) // 8)  # k bytes/entry for the rank counts
    dx = _nb.sq_dist_chunks(X, rows, exact=False)
    dz = _nb.sq_dist_chunks(Z.astype(np.float64), rows, exact=False) if max_k is not None else None
    penalty = 0
    hist = np.zeros(max_k + 2, dtype=np.int64) if max_k is not None else None
    for start, DX in dx:
        if nbrs is not None:
            penalty += _nb.rank_penalty(DX, start, nbrs[start : start + len(DX)], k)
        if dz is not None:
            _, DZ = next(dz)
            hist += _nb.coranking_max_hist(DX, DZ, start, max_k)
    return penalty, hist


def _check_trust_k(k: Any, n: int) -> int:
    k = check_int(k, "k", 1, max(1, n))
    if k >= n / 2:
        raise ValueError(
            f"k={k} is too large for {n} points: trustworthiness needs k < n/2 "
            f"({n / 2:g}) to stay within [0, 1]"
        )
    return k


def _trust_from_penalty(penalty: int, n: int, k: int) -> float:
    return float(1.0 - penalty * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))))


def trustworthiness(X: ArrayLike, Z: ArrayLike, k: int = 5) -> float:
    """Trustworthiness T(k) of embedding ``Z`` of data ``X`` (Venna & Kaski).

    Penalises points that are among a point's k nearest neighbours in the
    embedding but not in the data, in proportion to how far away they really
    are: T = 1 − 2/(nk(2n − 3k − 1)) Σ_i Σ_{j ∈ N_k^Z(i)} max(0, r(i, j) − k).
    Equal to ``sklearn.manifold.trustworthiness(X, Z, n_neighbors=k)`` but only
    the data-space ranks of the k embedding neighbours are computed (chunked
    counting instead of an n×n argsort): seconds at n = 10,000.
    """
    X, Z = _pair(X, Z, 3)
    n = X.shape[0]
    k = _check_trust_k(k, n)
    penalty, _ = _rank_pass(X, Z, k, None)
    return _trust_from_penalty(penalty, n, k)


def _check_max_k(max_k: Any, n: int) -> int:
    if max_k is None:
        return n - 2
    return check_int(max_k, "max_k", 1, n - 2, f" (R_NX(K) is defined for K = 1..n-2 = {n - 2})")


def _auc_log_k(curve: np.ndarray) -> float:
    w = 1.0 / np.arange(1, len(curve) + 1)
    return float(np.dot(curve, w) / w.sum())


def rnx_curve(X: ArrayLike, Z: ArrayLike, max_k: int | None = None) -> np.ndarray:
    """R_NX(K) for K = 1..max_k (default n − 2), Lee et al. 2015.

    Q_NX(K) is the mean fraction of K-nearest neighbours shared by data and
    embedding (the co-ranking matrix's upper-left K×K block / (K N));
    R_NX(K) = ((N−1) Q_NX(K) − K) / (N − 1 − K) rescales it so that a random
    embedding scores ≈ 0 and a perfect one 1 at every scale K.
    """
    X, Z = _pair(X, Z, 4)
    n = X.shape[0]
    max_k = _check_max_k(max_k, n)
    _, hist = _rank_pass(X, Z, None, max_k)
    return _nb.rnx_from_hist(hist, n, max_k)


def rnx_auc(X: ArrayLike, Z: ArrayLike, max_k: int | None = None) -> float:
    """Area under R_NX(K) with a log-scaled K axis: Σ R_NX(K)/K / Σ 1/K.

    The log weighting makes small neighbourhoods count as much as large ones,
    so one number summarises structure preservation at all scales. By default
    K runs over 1..N−2, the published definition (comparable with the
    literature); this needs full per-row sorts, O(n² log n) time but only
    O(chunk · n) memory (no co-ranking matrix is stored): about 8–13 s at
    n = 10,000 on 2 cores, growing as n²; beyond ~20,000 points evaluate a
    random subset of rows of X and Z. ``max_k`` truncates the curve to
    K ≤ max_k (normalised over the same range), about 2× faster, but it is a
    *different*, more local number: report the cap alongside it.
    """
    return _auc_log_k(rnx_curve(X, Z, max_k))


# ------------------------------------------------------------ class structure
def knn_accuracy(
    Z_train: ArrayLike, y_train: ArrayLike, Z_test: ArrayLike, y_test: ArrayLike, k: int = 1
) -> float:
    """Accuracy of a k-NN classifier fitted on the training embedding.

    Measures whether held-out points land among their own class (paper §5.1).
    Identical to ``KNeighborsClassifier(n_neighbors=k)`` fitted on
    (Z_train, y_train) and scored on (Z_test, y_test).
    """
    from sklearn.neighbors import KNeighborsClassifier

    Ztr = check_array(Z_train, name="Z_train", dtype=None)
    Zte = check_array(Z_test, name="Z_test", dtype=None)
    if Ztr.shape[1] != Zte.shape[1]:
        raise ValueError(
            f"Z_train has {Ztr.shape[1]} dimensions but Z_test has {Zte.shape[1]}; they must match"
        )
    ytr = _as_labels(y_train, "y_train", Ztr.shape[0], "Z_train")
    yte = _as_labels(y_test, "y_test", Zte.shape[0], "Z_test")
    k = check_int(k, "k", 1, Ztr.shape[0], " (k cannot exceed the number of training points)")
    return float(KNeighborsClassifier(n_neighbors=k).fit(Ztr, ytr).score(Zte, yte))


def _check_n_labels(n_labels: int, n: int, what: str) -> None:
    if not 2 <= n_labels <= n - 1:
        raise ValueError(
            f"silhouette needs between 2 and n_samples - 1 = {n - 1} distinct {what}; got {n_labels}"
        )


def silhouette(
    Z: ArrayLike, y: ArrayLike, sample_size: int | None = None, random_state: RandomState = 0
) -> float:
    """Mean silhouette coefficient of the classes ``y`` in embedding ``Z``.

    How well separated the classes are, relative to their spread (−1..1).
    Agrees with ``sklearn.metrics.silhouette_score`` including its subsample
    (``sample_size`` points drawn with sklearn's ``check_random_state``; a
    numpy Generator is first turned into an int seed);
    computed with one chunked matrix product per block (about 3× faster).
    """
    from sklearn.utils import check_random_state

    Z = check_array(Z, name="Z", dtype=None, min_rows=3)
    y = _as_labels(y, "y", Z.shape[0], "Z")
    if sample_size is not None:
        sample_size = check_int(sample_size, "sample_size", 3)
        if isinstance(random_state, np.random.Generator):
            random_state = int(random_state.integers(2**31))
        idx = check_random_state(random_state).permutation(Z.shape[0])[:sample_size]
        Z, y = Z[idx], y[idx]
    _check_n_labels(len(np.unique(y)), Z.shape[0], "labels")
    return _nb.silhouette_many(Z, [y])[0]


def kmeans_nmi(
    Z: ArrayLike,
    y: ArrayLike,
    n_clusters: int | None = None,
    n_init_seeds: Iterable[int] = (0, 1, 2, 3, 4),
) -> float:
    """NMI between the classes and a k-means clustering of the embedding.

    Paper protocol: k = number of classes (or ``n_clusters``); k-means is run
    once per seed and the clustering with the best silhouette on ``Z`` is kept
    (selection uses no labels), then scored with
    ``sklearn.metrics.normalized_mutual_info_score`` (arithmetic mean).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    Z = check_array(Z, name="Z", dtype=None, min_rows=3)
    y = _as_labels(y, "y", Z.shape[0], "Z")
    n = Z.shape[0]
    k = len(np.unique(y)) if n_clusters is None else n_clusters
    k = check_int(k, "n_clusters", 2, n - 1, " (silhouette-based selection needs 2..n-1 clusters)")
    seeds = [int(s) for s in n_init_seeds]
    if not seeds:
        raise ValueError("n_init_seeds is empty; give at least one seed")
    fits = [KMeans(n_clusters=k, n_init=1, random_state=s).fit_predict(Z) for s in seeds]
    scores = np.nan_to_num(_nb.silhouette_many(Z, fits), nan=-np.inf)
    best = fits[int(np.argmax(scores))]  # first seed wins ties
    return float(normalized_mutual_info_score(y, best))


# ----------------------------------------------------------- global structure
def _subsample(n: int, sample_size: int | None, random_state: RandomState) -> np.ndarray:
    """Sorted indices of ``sample_size`` points drawn without replacement."""
    if sample_size is None or sample_size >= n:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=sample_size, replace=False))


def distance_correlation(
    X: ArrayLike,
    Z: ArrayLike,
    sample_size: int | None = 1000,
    method: str = "pearson",
    random_state: RandomState = 0,
) -> float:
    """Correlation of all pairwise distances, data vs embedding, on a subsample.

    Global structure (paper eq. 5.1 as a metric): do far-apart
    points stay far apart? ``sample_size`` points (default 1,000, i.e. 499,500
    pairs; None = all points, O(n²) memory) are drawn with
    ``np.random.default_rng(random_state)``. ``method`` is "pearson" (linear)
    or "spearman" (rank, average ties). A constant distance set (collapsed
    embedding) has no correlation: NaN is returned with a warning.
    """
    from scipy.spatial.distance import pdist
    from scipy.stats import rankdata

    if method not in ("pearson", "spearman"):
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
    X, Z = _pair(X, Z, 3)
    if sample_size is not None:
        check_int(sample_size, "sample_size", 3)
    idx = _subsample(X.shape[0], sample_size, random_state)
    dx = pdist(X[idx].astype(np.float64))
    dz = pdist(Z[idx].astype(np.float64))
    if method == "spearman":
        dx, dz = rankdata(dx), rankdata(dz)
    dx = dx - dx.mean()
    dz = dz - dz.mean()
    denom = np.sqrt(np.dot(dx, dx) * np.dot(dz, dz))
    if denom == 0:
        warnings.warn(
            "distance_correlation: all pairwise distances are equal in X or Z; "
            "correlation is undefined (NaN)",
            RuntimeWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(np.clip(np.dot(dx, dz) / denom, -1.0, 1.0))


# ------------------------------------------------------------------ evaluate
def evaluate(
    X_test: ArrayLike | None,
    Z_test: ArrayLike,
    y_test: ArrayLike | None = None,
    Z_train: ArrayLike | None = None,
    y_train: ArrayLike | None = None,
    *,
    k: int = 5,
    rnx_max_k: int | None = None,
    knn_ks: Iterable[int] = (1, 5),
    silhouette_sample_size: int | None = None,
    distance_sample_size: int | None = 1000,
    random_state: RandomState = 0,
) -> dict[str, float]:
    """Every metric that applies to the inputs, as one flat ``{name: value}``.

    - ``X_test`` (may be None) and ``Z_test``: ``trustworthiness`` (k),
      ``rnx_auc`` (sharing one data-space distance pass with trustworthiness),
      ``distance_correlation_pearson`` and ``distance_correlation_spearman``;
    - with ``y_test``: ``silhouette`` and ``kmeans_nmi``;
    - with ``Z_train``/``y_train`` and ``y_test``: ``knn_accuracy_{k}`` for
      each k in ``knn_ks`` (classifier fitted on train, scored on test).
    """
    out: dict[str, float] = {}
    if (Z_train is None) != (y_train is None):
        raise ValueError("Z_train and y_train must be given together (for knn_accuracy)")
    Z = check_array(Z_test, name="Z_test", dtype=None, min_rows=3)
    if X_test is not None:
        X = check_array(X_test, name="X_test", dtype=None, min_rows=4)
        check_same_rows(X.shape[0], Z.shape[0], "X_test", "Z_test")
        n = X.shape[0]
        kk = _check_trust_k(k, n)
        mk = _check_max_k(rnx_max_k, n)
        penalty, hist = _rank_pass(X, Z, kk, mk)
        out["trustworthiness"] = _trust_from_penalty(penalty, n, kk)
        out["rnx_auc"] = _auc_log_k(_nb.rnx_from_hist(hist, n, mk))
        for method in ("pearson", "spearman"):
            out[f"distance_correlation_{method}"] = distance_correlation(
                X, Z, distance_sample_size, method, random_state
            )
    if y_test is not None:
        y = _as_labels(y_test, "y_test", Z.shape[0], "Z_test")
        out["silhouette"] = silhouette(Z, y, silhouette_sample_size, random_state)
        out["kmeans_nmi"] = kmeans_nmi(Z, y)
        if Z_train is not None:
            for kn in knn_ks:
                out[f"knn_accuracy_{kn}"] = knn_accuracy(Z_train, y_train, Z, y, kn)
    return out
