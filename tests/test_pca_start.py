"""PCA-started networks (conv or MLP residuals), the neighbour-search rule and the spectral
start: what a cheap default run on an image set is built from."""

from __future__ import annotations

import numpy as np
import pytest

from pumap_core import ParametricUMAP, TwoCode

pytestmark = pytest.mark.timeout(240)


def test_pca_mlp_two_code_model_starts_as_pca_trains_and_reloads(tmp_path):
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (150, 40, 40), dtype=np.uint8)
    model = ParametricUMAP(two_code=TwoCode(code_components=6, map_epochs=1),
                           reconstruction=True, encoder="pca_mlp", decoder="pca_mlp",
                           n_epochs=1, batch_size=64, random_state=0)
    model.fit(images, controls=None)
    X = images.reshape(150, -1) / 255.0
    assert type(model.encoder_.code_net).__name__ == "PCAMLPEncoder"
    pca_err = ((PCA(6).fit(X).inverse_transform(PCA(6).fit(X).transform(X)) - X) ** 2).mean()
    err = ((model.decode(model.encode(images)).reshape(150, -1) - X) ** 2).mean()
    assert err < 1.5 * pca_err  # it starts at PCA's decodes; one epoch cannot ruin them
    model.save(tmp_path / "m.pumap")
    loaded = ParametricUMAP.load(tmp_path / "m.pumap")
    np.testing.assert_array_equal(loaded.encode(images[:5]), model.encode(images[:5]))
    np.testing.assert_array_equal(loaded.transform(images[:5]), model.transform(images[:5]))


def test_one_rule_decides_the_neighbour_search():
    from pumap_core.graph.neighbors import EXACT_WORK_LIMIT
    from pumap_core.graph.neighbors import choose_knn_method as knn_method_for

    assert knn_method_for(1797, 64) == "exact"
    assert knn_method_for(70_000, 784) == "approx"
    assert knn_method_for(70_000, 784, "exact") == "exact"  # the face settings ask for exact
    assert knn_method_for(10, 10, "approx") == "approx"
    n = int(np.sqrt(EXACT_WORK_LIMIT / 100))
    assert knn_method_for(n, 100) == "exact" and knn_method_for(n + 10, 100) == "approx"
    with pytest.raises(ValueError, match="method must be one of"):
        knn_method_for(5, 5, "fast")


def test_spectral_start_of_a_few_thousand_rows_needs_no_dense_solve(monkeypatch):
    """ARPACK gives the dense solver's eigenvectors (digits' first step came 5-9 s late
    while a dense eigensolve of 1,797 rows ran on two busy cores)."""
    import pumap_core.training.initialization as init
    from pumap_core.data import load_digits
    from pumap_core.graph import build_graph

    graph = build_graph(load_digits().X, 15)
    monkeypatch.setattr(init, "DENSE_EIGEN_ROWS", 10**9)
    dense = init.spectral_layout(graph.edges, 2, 0)
    monkeypatch.setattr(init, "DENSE_EIGEN_ROWS", 200)

    def refuse(*_a, **_k):
        raise AssertionError("a dense eigensolve for 1,797 rows")

    monkeypatch.setattr(np.linalg, "eigh", refuse)
    sparse = init.spectral_layout(graph.edges, 2, 0)
    q1, _ = np.linalg.qr(dense - dense.mean(0))
    q2, _ = np.linalg.qr(sparse - sparse.mean(0))
    assert np.linalg.svd(q1.T @ q2)[1].min() > 0.999  # the same two-dimensional subspace
