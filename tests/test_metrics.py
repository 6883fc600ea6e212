"""Tests for pumap_core.eval.metrics: agreement with scikit-learn / scipy and with
naive reference implementations, invariances, and input errors.

All data are continuous random draws, so distances are tie-free (ties are
broken arbitrarily by both scikit-learn and us, see the module docstring).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist, pdist
from scipy.stats import pearsonr, spearmanr
from sklearn.cluster import KMeans
from sklearn.manifold import trustworthiness as sk_trustworthiness
from sklearn.metrics import normalized_mutual_info_score, silhouette_score
from sklearn.neighbors import KNeighborsClassifier

from pumap_core.eval import blockwise
from pumap_core.eval import metrics as M


def _data(n=200, d=12, dz=2, noise=0.5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Z = X[:, :dz] + noise * rng.normal(size=(n, dz))
    return X.astype(dtype), Z.astype(dtype)


def _blobs(n=240, centers=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, centers, n)
    Z = rng.normal(size=(centers, 2))[y] * 3 + rng.normal(size=(n, 2))
    return Z, y


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Force many small row blocks so the chunking logic is exercised."""
    monkeypatch.setattr(blockwise, "_BLOCK_ENTRIES", 1000)
    monkeypatch.setattr(blockwise, "_MIN_ROWS", 1)


# ------------------------------------------------------------ trustworthiness
@pytest.mark.parametrize("k", [1, 5, 12])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_trustworthiness_matches_sklearn(k, dtype):
    X, Z = _data(dtype=dtype)
    assert M.trustworthiness(X, Z, k) == pytest.approx(
        sk_trustworthiness(X, Z, n_neighbors=k), abs=1e-6
    )


def test_trustworthiness_chunked_matches_sklearn(tiny_blocks):
    X, Z = _data(n=150, seed=3)
    assert M.trustworthiness(X, Z, 7) == pytest.approx(
        sk_trustworthiness(X, Z, n_neighbors=7), abs=1e-12
    )


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(8, 60),
    d=st.integers(1, 6),
    dz=st.integers(1, 3),
    k_frac=st.floats(0.0, 0.99),
    seed=st.integers(0, 2**32 - 1),
)
def test_trustworthiness_property(n, d, dz, k_frac, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Z = rng.normal(size=(n, dz)) + X[:, :1]
    k = 1 + int(k_frac * ((n - 1) // 2 - 1))  # 1 <= k < n/2
    t = M.trustworthiness(X, Z, k)
    assert 0.0 <= t <= 1.0
    assert t == pytest.approx(sk_trustworthiness(X, Z, n_neighbors=k), abs=1e-9)


def test_trustworthiness_invariances():
    X, _ = _data(n=300, d=10)
    assert M.trustworthiness(X, X) == pytest.approx(1.0)
    # similarity transforms keep every ordering
    R, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(10, 10)))
    assert M.trustworthiness(X, 3 * X @ R + 7) == pytest.approx(1.0)
    Z = np.random.default_rng(2).normal(size=(300, 2))
    assert M.trustworthiness(X, Z) < 0.7


def test_trustworthiness_accepts_torch_and_lists():
    X, Z = _data(n=60)
    expected = M.trustworthiness(X, Z)
    assert M.trustworthiness(torch.from_numpy(X), torch.from_numpy(Z).requires_grad_()) == expected
    assert M.trustworthiness(X.tolist(), Z.tolist()) == expected


# ------------------------------------------------------------------- R_NX
def _naive_rnx(X, Z):
    """R_NX(K), K = 1..N-2, straight from the co-ranking matrix (Lee et al. 2015)."""
    n = len(X)

    def ranks(A):
        D = cdist(A, A)
        np.fill_diagonal(D, -np.inf)
        R = np.empty((n, n), dtype=int)
        R[np.arange(n)[:, None], np.argsort(D, axis=1)] = np.arange(n)
        return R  # self has rank 0

    rho, r = ranks(X), ranks(Z)
    off = ~np.eye(n, dtype=bool)
    Q = np.zeros((n - 1, n - 1), dtype=np.int64)
    np.add.at(Q, (rho[off] - 1, r[off] - 1), 1)
    K = np.arange(1, n - 1)
    q = np.array([Q[:k, :k].sum() for k in K]) / (K * n)
    return ((n - 1) * q - K) / (n - 1 - K)


def _log_auc(curve):
    w = 1.0 / np.arange(1, len(curve) + 1)
    return float((curve * w).sum() / w.sum())


@pytest.mark.parametrize("seed", [0, 1])
def test_rnx_matches_naive_coranking(seed):
    X, Z = _data(n=70, d=5, noise=0.8, seed=seed)
    ref = _naive_rnx(X, Z)
    np.testing.assert_allclose(M.rnx_curve(X, Z), ref, atol=1e-12)
    assert M.rnx_auc(X, Z) == pytest.approx(_log_auc(ref), abs=1e-12)
    # truncated: the curve's head, AUC normalised over K = 1..max_k
    np.testing.assert_allclose(M.rnx_curve(X, Z, max_k=10), ref[:10], atol=1e-12)
    assert M.rnx_auc(X, Z, max_k=10) == pytest.approx(_log_auc(ref[:10]), abs=1e-12)


def test_rnx_chunked_and_topk_paths(tiny_blocks):
    X, Z = _data(n=90, d=4, seed=5, dtype=np.float32)
    ref = _naive_rnx(X.astype(np.float64), Z.astype(np.float64))
    np.testing.assert_allclose(M.rnx_curve(X, Z), ref, atol=1e-6)
    np.testing.assert_allclose(M.rnx_curve(X, Z, max_k=5), ref[:5], atol=1e-6)


def test_rnx_identity_and_random():
    X, _ = _data(n=300, d=8)
    assert M.rnx_auc(X, X) == pytest.approx(1.0)
    np.testing.assert_allclose(M.rnx_curve(X, X, max_k=50), 1.0)
    Z = np.random.default_rng(9).normal(size=(300, 2))
    assert abs(M.rnx_auc(X, Z)) < 0.05


# ---------------------------------------------------------- class structure
def test_knn_accuracy_matches_sklearn_and_bruteforce():
    Z, y = _blobs(n=300, seed=1)
    Ztr, ytr, Zte, yte = Z[:200], y[:200], Z[200:], y[200:]
    for k in (1, 5):
        ref = KNeighborsClassifier(n_neighbors=k).fit(Ztr, ytr).score(Zte, yte)
        assert M.knn_accuracy(Ztr, ytr, Zte, yte, k) == pytest.approx(ref)
    nearest = cdist(Zte, Ztr).argmin(axis=1)
    assert M.knn_accuracy(Ztr, ytr, Zte, yte, 1) == pytest.approx(np.mean(ytr[nearest] == yte))
    names = np.array(["a", "b", "c", "d"])
    assert M.knn_accuracy(Ztr, names[ytr], Zte, names[yte]) == M.knn_accuracy(Ztr, ytr, Zte, yte)


@pytest.mark.parametrize("seed", [0, 1])
def test_silhouette_matches_sklearn(seed, tiny_blocks):
    Z, y = _blobs(seed=seed)
    assert M.silhouette(Z, y) == pytest.approx(silhouette_score(Z, y), abs=1e-10)
    assert M.silhouette(Z, y, sample_size=100, random_state=seed) == pytest.approx(
        silhouette_score(Z, y, sample_size=100, random_state=seed), abs=1e-10
    )


def test_silhouette_singleton_cluster_and_string_labels():
    Z, y = _blobs(n=80)
    y = y.astype(object)
    y[0] = "lonely"  # singleton cluster scores 0, as in sklearn
    y = y.astype(str)
    assert M.silhouette(Z, y) == pytest.approx(silhouette_score(Z, y), abs=1e-10)


def test_kmeans_nmi_follows_protocol():
    Z, y = _blobs(n=300, centers=5, seed=2)
    fits = [KMeans(5, n_init=1, random_state=s).fit_predict(Z) for s in range(5)]
    best = fits[int(np.argmax([silhouette_score(Z, f) for f in fits]))]
    expected = normalized_mutual_info_score(y, best)
    assert M.kmeans_nmi(Z, y) == pytest.approx(expected, abs=1e-12)
    fit3 = KMeans(3, n_init=1, random_state=7).fit_predict(Z)
    assert M.kmeans_nmi(Z, y, n_clusters=3, n_init_seeds=[7]) == pytest.approx(
        normalized_mutual_info_score(y, fit3)
    )
    assert 0.0 <= M.kmeans_nmi(Z, y) <= 1.0


# --------------------------------------------------------- global structure
def test_distance_correlation_matches_scipy():
    X, Z = _data(n=120, noise=1.0)
    dx, dz = pdist(X), pdist(Z)
    p = M.distance_correlation(X, Z, sample_size=None)
    s = M.distance_correlation(X, Z, sample_size=None, method="spearman")
    assert p == pytest.approx(pearsonr(dx, dz)[0], abs=1e-10)
    assert s == pytest.approx(spearmanr(dx, dz)[0], abs=1e-10)
    # subsample: the same pairs as scipy on the documented subsample
    idx = M._subsample(120, 50, 3)
    assert len(idx) == 50 and len(np.unique(idx)) == 50
    sub = M.distance_correlation(X, Z, sample_size=50, random_state=3)
    assert sub == pytest.approx(pearsonr(pdist(X[idx]), pdist(Z[idx]))[0], abs=1e-10)
    assert M.distance_correlation(X, 2 * X + 1) == pytest.approx(1.0)


def test_distance_correlation_constant_embedding_is_nan():
    X, _ = _data(n=30)
    with pytest.warns(RuntimeWarning, match="undefined"):
        assert np.isnan(M.distance_correlation(X, np.ones((30, 2))))


# ------------------------------------------------------------------ evaluate
def test_evaluate_matches_individual_metrics():
    rng = np.random.default_rng(4)
    Z, y = _blobs(n=200, seed=4)
    X = np.hstack([Z, rng.normal(size=(200, 6))])
    Ztr, ytr = _blobs(n=150, seed=5)
    out = M.evaluate(X, Z, y, Ztr, ytr)
    assert set(out) == {
        "trustworthiness", "rnx_auc", "knn_accuracy_1", "knn_accuracy_5", "silhouette",
        "kmeans_nmi", "distance_correlation_pearson", "distance_correlation_spearman",
    }  # fmt: skip
    assert all(isinstance(v, float) for v in out.values())
    assert out["trustworthiness"] == M.trustworthiness(X, Z)
    assert out["rnx_auc"] == pytest.approx(M.rnx_auc(X, Z), abs=1e-12)
    assert out["knn_accuracy_5"] == M.knn_accuracy(Ztr, ytr, Z, y, 5)
    assert out["silhouette"] == M.silhouette(Z, y)
    assert out["kmeans_nmi"] == M.kmeans_nmi(Z, y)
    assert out["distance_correlation_spearman"] == M.distance_correlation(X, Z, method="spearman")
    assert set(M.evaluate(None, Z, y)) == {"silhouette", "kmeans_nmi"}
    assert set(M.evaluate(X, Z)) == {
        "trustworthiness", "rnx_auc", "distance_correlation_pearson", "distance_correlation_spearman",
    }  # fmt: skip


# -------------------------------------------------------------- bad input
def test_input_errors():
    X, Z = _data(n=20)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN.*row 3"):
        M.trustworthiness(Xn, Z)
    Zi = Z.copy()
    Zi[0, 0] = np.inf
    with pytest.raises(ValueError, match="Z contains infinite"):
        M.rnx_auc(X, Zi)
    with pytest.raises(ValueError, match="X has 20 rows but Z has 19"):
        M.trustworthiness(X, Z[:-1])
    with pytest.raises(ValueError, match="k=10 is too large for 20 points"):
        M.trustworthiness(X, Z, k=10)
    with pytest.raises(ValueError, match="k=0"):
        M.trustworthiness(X, Z, k=0)
    with pytest.raises(TypeError, match="k must be an integer"):
        M.trustworthiness(X, Z, k=2.5)
    with pytest.raises(ValueError, match="max_k=19"):
        M.rnx_auc(X, Z, max_k=19)
    with pytest.raises(ValueError, match="must be 2-D"):
        M.trustworthiness(X[:, 0], Z)
    with pytest.raises(ValueError, match="numeric"):
        M.trustworthiness(np.full((20, 2), "a"), Z)
    with pytest.raises(ValueError, match="at least 3"):
        M.trustworthiness(X[:2], Z[:2])
    with pytest.raises(ValueError, match="y has 19 labels but Z has 20 rows"):
        M.silhouette(Z, np.arange(19) % 2)
    with pytest.raises(ValueError, match="got 1"):
        M.silhouette(Z, np.zeros(20))
    with pytest.raises(ValueError, match="y contains NaN"):
        M.kmeans_nmi(Z, np.r_[np.nan, np.zeros(19)])
    with pytest.raises(ValueError, match="Z_train has 2 dimensions but Z_test has 3"):
        M.knn_accuracy(Z, np.zeros(20), np.ones((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="k cannot exceed"):
        M.knn_accuracy(Z, np.zeros(20), Z, np.zeros(20), k=21)
    with pytest.raises(ValueError, match="method must be"):
        M.distance_correlation(X, Z, method="kendall")
    with pytest.raises(ValueError, match="Z_test is None"):
        M.evaluate(X, None)
    with pytest.raises(ValueError, match="Z_train and y_train must be given together"):
        M.evaluate(X, Z, np.arange(20) % 2, Z_train=Z)
