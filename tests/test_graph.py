import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors

from pumap_core.graph import build_graph
from pumap_core.graph.edges import edges_from_graph
from pumap_core.graph.fuzzy import fuzzy_simplicial_set
from pumap_core.graph.neighbors import nearest_neighbors


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "manhattan"])
def test_exact_knn_matches_sklearn(small_digits, metric):
    X, _ = small_digits
    X = X + np.random.default_rng(0).normal(0, 1e-3, X.shape).astype(np.float32)  # no ties
    idx, dist = nearest_neighbors(X, 10, metric=metric, method="exact")
    ref_d, ref_i = NearestNeighbors(n_neighbors=10, metric=metric).fit(X).kneighbors(X)
    assert (idx[:, 0] == np.arange(len(X))).all()
    np.testing.assert_array_equal(np.sort(idx, 1), np.sort(ref_i, 1))
    np.testing.assert_allclose(dist, ref_d, atol=1e-4)


def test_approximate_knn_has_high_recall(small_digits):
    X, _ = small_digits
    exact, _ = nearest_neighbors(X, 10, method="exact")
    approx, dist = nearest_neighbors(X, 10, method="approx", random_state=0)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert recall > 0.9
    assert (approx[:, 0] == np.arange(len(X))).all() and (dist[:, 0] == 0).all()
    assert (np.diff(dist, axis=1) >= -1e-5).all()


def test_graph_equals_umap_learn(digits):
    umap_ = pytest.importorskip("umap.umap_")
    X, _ = digits
    idx, dist = nearest_neighbors(X, 15)
    ours, sigmas, rhos = fuzzy_simplicial_set(idx, dist, 15)
    ref, ref_sigmas, ref_rhos = umap_.fuzzy_simplicial_set(
        X, 15, np.random.RandomState(0), "euclidean", knn_indices=idx, knn_dists=dist)
    assert abs(ours - ref.tocsr()).max() < 1e-4
    assert ours.nnz == ref.tocsr().nnz
    np.testing.assert_allclose(sigmas, ref_sigmas, rtol=1e-4)
    np.testing.assert_allclose(rhos, ref_rhos, rtol=1e-5)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(12, 60), k=st.integers(2, 10), seed=st.integers(0, 10_000),
       duplicates=st.booleans())
def test_graph_is_symmetric_with_weights_in_unit_interval(n, k, seed, duplicates):
    X = np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32)
    if duplicates:
        X[: n // 3] = X[0]
    idx, dist = nearest_neighbors(X, k)
    graph, _, _ = fuzzy_simplicial_set(idx, dist, k)
    assert abs(graph - graph.T).max() < 1e-6
    assert graph.data.min() > 0 and graph.data.max() <= 1.0 + 1e-6
    assert graph.diagonal().max() == 0


def test_missing_neighbours_are_skipped():
    X = np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32)
    idx, dist = nearest_neighbors(X, 5)
    idx[3, 2:] = -1
    graph, _, _ = fuzzy_simplicial_set(idx, dist, 5)
    assert graph.shape == (30, 30) and np.isfinite(graph.data).all()


def test_pruning_drops_only_weak_edges(small_digits):
    X, _ = small_digits
    idx, dist = nearest_neighbors(X, 15)
    graph, _, _ = fuzzy_simplicial_set(idx, dist, 15)
    kept = edges_from_graph(graph, prune_epochs=5)
    everything = edges_from_graph(graph, prune_epochs=None)
    assert len(kept) < len(everything) == graph.nnz
    assert kept.weight.min() >= graph.data.max() / 5


def test_precomputed_knn_and_distance_matrix(small_digits):
    X, _ = small_digits
    X = X + np.random.default_rng(0).normal(0, 1e-3, X.shape).astype(np.float32)  # no ties
    idx, dist = nearest_neighbors(X, 10)
    from_knn = build_graph(X, 10, knn=(idx, dist))
    from scipy.spatial.distance import cdist

    from_matrix = build_graph(cdist(X, X), 10, metric="precomputed")
    a, b = from_knn.edges.to_sparse(), from_matrix.edges.to_sparse()
    assert abs(a - b).max() < 1e-4
