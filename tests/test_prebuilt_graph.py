"""``fit(X, graph=...)``: a graph built once serves several fits, and fit checks every
parameter and input before it builds anything."""

import numpy as np
import pytest

import pumap_core.graph.build
from pumap_core import MLP, ParametricUMAP, TwoCode
from pumap_core.graph import build_graph
from pumap_core.graph.neighbors import nearest_neighbors

FAST = dict(n_epochs=3, random_state=0)


def _no_knn(*args, **kwargs):
    raise AssertionError("the kNN was searched although a graph was given")


def test_fit_with_a_prebuilt_graph_skips_the_knn(small_digits, monkeypatch):
    X, _ = small_digits
    graph = build_graph(X, 10)
    monkeypatch.setattr(pumap_core.graph.build, "nearest_neighbors", _no_knn)
    model = ParametricUMAP(n_neighbors=10, **FAST)
    Z = model.fit_transform(X, graph=graph)
    assert model.graph_ is graph
    assert Z.shape == (len(X), 2) and np.isfinite(Z).all()
    # the same graph gives the same fit as building it inside fit
    monkeypatch.undo()
    np.testing.assert_array_equal(Z, ParametricUMAP(n_neighbors=10, **FAST).fit_transform(X))


def test_a_graph_of_other_data_or_settings_is_rejected(small_digits):
    X, _ = small_digits
    graph = build_graph(X, 10)
    with pytest.raises(ValueError, match=f"graph has {len(X)} points but X has {len(X) - 1} rows"):
        ParametricUMAP(n_neighbors=10, **FAST).fit(X[:-1], graph=graph)
    with pytest.raises(ValueError, match="n_neighbors=10, metric='euclidean', but this model "
                                         "has n_neighbors=15"):
        ParametricUMAP(**FAST).fit(X, graph=graph)
    with pytest.raises(ValueError, match="metric='cosine'"):
        ParametricUMAP(n_neighbors=10, metric="cosine", **FAST).fit(X, graph=graph)
    with pytest.raises(TypeError, match="NeighborGraph"):
        ParametricUMAP(**FAST).fit(X, graph=graph.edges)
    with pytest.raises(ValueError, match="either graph= or knn="):
        ParametricUMAP(n_neighbors=10, **FAST).fit(X, graph=graph, knn=(graph.knn_indices,
                                                                       graph.knn_dists))


def test_a_graph_saved_with_a_model_serves_another_fit(small_digits, tmp_path):
    X, _ = small_digits
    model = ParametricUMAP(n_neighbors=10, **FAST).fit(X)
    model.save(tmp_path / "m.pumap", include_graph=True)
    graph = ParametricUMAP.load(tmp_path / "m.pumap", device="cpu").graph_
    Z = ParametricUMAP(n_neighbors=10, min_dist=0.5, **FAST).fit_transform(X, graph=graph)
    assert np.isfinite(Z).all()


@pytest.mark.parametrize("param,value", [
    ("negatives", "some"), ("knn_method", "fast"), ("encoder", "transformer"),
    ("input_projection", 10_000), ("encoder", "conv"), ("encoder", MLP(hidden=(0,))),
    ("two_code", TwoCode(map_grad=-1)),
])
def test_bad_settings_fail_before_the_graph_is_built(small_digits, monkeypatch, param, value):
    X, _ = small_digits
    monkeypatch.setattr(pumap_core.graph.build, "nearest_neighbors", _no_knn)
    with pytest.raises(ValueError, match=param if param != "encoder" else "network|conv|encoder"):
        ParametricUMAP(**{**FAST, param: value}).fit(X)


@pytest.mark.parametrize("name,value", [("snapshot_embedding", 0), ("snapshot_interval", -1)])
def test_bad_fit_settings_fail_before_the_graph_is_built(small_digits, monkeypatch, name, value):
    X, _ = small_digits
    monkeypatch.setattr(pumap_core.graph.build, "nearest_neighbors", _no_knn)
    with pytest.raises(ValueError, match=name):
        ParametricUMAP(**FAST).fit(X, **{name: value})


def test_precomputed_metric_needs_the_neighbours_and_fails_before_work(small_digits,
                                                                        monkeypatch):
    X, _ = small_digits
    from scipy.spatial.distance import cdist

    knn = nearest_neighbors(X, 10)
    monkeypatch.setattr(pumap_core.graph.build, "nearest_neighbors", _no_knn)
    with pytest.raises(ValueError, match="metric='precomputed' needs the neighbours"):
        ParametricUMAP(metric="precomputed", **FAST).fit(cdist(X, X))
    # with the neighbours given, X holds the features to encode
    Z = ParametricUMAP(metric="precomputed", n_neighbors=10, **FAST).fit_transform(X, knn=knn)
    assert Z.shape == (len(X), 2)
