"""The graph built the accelerator's way (torch kNN, torch fuzzy set) is the CPU's graph.

The torch code runs here on the CPU device: the same operations a GPU runs,
compared with the numba fuzzy set and scikit-learn's exact neighbours.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pumap_core.graph import fuzzy_torch
from pumap_core.graph.fuzzy import fuzzy_simplicial_set
from pumap_core.graph.neighbors import choose_knn_method, nearest_neighbors


def _same_graph(knn_indices, knn_dists, k, local_connectivity=1.0):
    ref, ref_sigmas, ref_rhos = fuzzy_simplicial_set(knn_indices, knn_dists, k,
                                                     local_connectivity=local_connectivity)
    got, sigmas, rhos = fuzzy_torch.fuzzy_simplicial_set(knn_indices, knn_dists, k,
                                                         local_connectivity=local_connectivity)
    np.testing.assert_allclose(rhos, ref_rhos, rtol=1e-6)
    np.testing.assert_allclose(sigmas, ref_sigmas, rtol=1e-5)
    assert got.nnz == ref.nnz
    assert (got.indices == ref.indices).all() and (got.indptr == ref.indptr).all()
    np.testing.assert_allclose(got.data, ref.data, rtol=1e-5, atol=1e-7)


def test_torch_fuzzy_set_equals_numba_on_digits(digits):
    X, _ = digits
    idx, dist = nearest_neighbors(X, 15)
    _same_graph(idx, dist, 15)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(12, 80), k=st.integers(2, 12), seed=st.integers(0, 10_000),
       duplicates=st.booleans(), local_connectivity=st.sampled_from([0.5, 1.0, 1.5, 2.0]))
def test_torch_fuzzy_set_equals_numba(n, k, seed, duplicates, local_connectivity):
    """Random data with exact duplicates (zero distances beyond the self), and ρ from
    fractional local connectivity: every branch of the σ/ρ search."""
    X = np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32)
    if duplicates:
        X[: n // 3] = X[0]
    idx, dist = nearest_neighbors(X, k)
    _same_graph(idx, dist, k, local_connectivity)


def test_missing_neighbours_are_left_out_as_on_the_cpu():
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    idx, dist = nearest_neighbors(X, 6)
    idx[::5, -1] = -1  # NN-descent marks neighbours it could not find with −1
    _same_graph(idx, dist, 6)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_device_knn_equals_scikit_learn(small_digits, metric):
    from sklearn.neighbors import NearestNeighbors

    X, _ = small_digits
    idx, dist = nearest_neighbors(X, 10, metric, method="exact", device=torch.device("cpu"))
    ref_dist, _ = NearestNeighbors(n_neighbors=10, metric=metric).fit(X).kneighbors(X)
    assert (idx[:, 0] == np.arange(len(X))).all()
    np.testing.assert_allclose(dist[:, 1:], ref_dist[:, 1:], atol=1e-4)


def test_exact_search_in_chunks_equals_one_block(small_digits, monkeypatch):
    """An accelerator cuts the search into chunks that fit its memory; the answer is
    the same as in one block."""
    from pumap_core.graph import neighbors

    X, _ = small_digits
    whole = neighbors._exact_matmul(X, 8, "euclidean", torch.device("cpu"), chunk=len(X))
    parts = neighbors._exact_matmul(X, 8, "euclidean", torch.device("cpu"), chunk=37)
    assert (whole[0] == parts[0]).all()
    np.testing.assert_array_equal(whole[1], parts[1])


def test_accelerators_search_exactly_far_longer():
    mnist = (60_000, 784)
    assert choose_knn_method(*mnist, device="cpu") == "approx"
    assert choose_knn_method(*mnist, device="cuda") == "exact"
    assert choose_knn_method(1_000_000, 64, device="cuda") == "exact"
    assert choose_knn_method(10_000_000, 784, device="cuda") == "approx"
    assert choose_knn_method(*mnist, metric="manhattan", device="cuda") == "approx"
    assert choose_knn_method(*mnist, method="exact", device="cpu") == "exact"
    with pytest.raises(ValueError, match="method must be one of"):
        choose_knn_method(10, 2, method="fast")

