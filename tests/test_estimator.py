import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import torch
from sklearn.base import clone
from sklearn.manifold import trustworthiness

from pumap_core import MLP, ParametricUMAP, TrainingControls

FAST = dict(n_epochs=8, random_state=0)


def test_fit_learns_a_faithful_embedding(digits):
    X, y = digits
    model = ParametricUMAP(n_epochs=30, batch_size=256, random_state=0)
    Z = model.fit_transform(X)
    assert Z.shape == (len(X), 2) and Z.dtype == np.float32
    assert trustworthiness(X, Z, n_neighbors=5) > 0.96  # umap-learn's ParametricUMAP: .982 at 200 epochs
    history = model.loss_history_
    assert len(history) == 30 and history[-1]["umap"] < history[0]["umap"]
    np.testing.assert_allclose(model.transform(X), Z, atol=1e-5)


def test_sklearn_conventions(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(min_dist=0.3, **FAST)
    assert model.get_params()["min_dist"] == 0.3
    assert clone(model).set_params(n_neighbors=7).n_neighbors == 7
    assert not hasattr(model, "embedding_")
    model.fit(X)
    for name in ("graph_", "embedding_", "encoder_", "loss_history_", "a_", "b_", "n_features_in_"):
        assert hasattr(model, name)


def test_same_seed_same_result_on_cpu(small_digits):
    X, _ = small_digits
    a = ParametricUMAP(**FAST).fit_transform(X)
    b = ParametricUMAP(**FAST).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    c = ParametricUMAP(**{**FAST, "random_state": 1}).fit_transform(X)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kind", ["float64", "uint8", "pandas", "csr", "images"])
def test_accepts_common_input_types(small_digits, kind):
    X, _ = small_digits
    data = {
        "float64": X.astype(np.float64),
        "uint8": (X * 255).astype(np.uint8),
        "pandas": pd.DataFrame(X, columns=[f"px{i}" for i in range(64)]),
        "csr": scipy.sparse.csr_matrix(X),
        "images": X.reshape(-1, 8, 8),
    }[kind]
    model = ParametricUMAP(**FAST).fit(data)
    assert model.transform(data).shape == (len(X), 2)
    if kind == "images":
        assert model.image_shape_ == (8, 8)


def test_three_dimensional_embedding_with_cosine(small_digits):
    X, _ = small_digits
    Z = ParametricUMAP(n_components=3, metric="cosine", **FAST).fit_transform(X)
    assert Z.shape == (len(X), 3) and np.isfinite(Z).all()


def test_reconstruction_decodes_to_data_space(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(reconstruction=True, n_epochs=20, random_state=0).fit(X)
    X_hat = model.inverse_transform(model.transform(X))
    assert X_hat.shape == X.shape and X_hat.min() >= 0 and X_hat.max() <= 1  # sigmoid for [0,1] data
    assert "reconstruction" in model.loss_history_[-1]
    assert np.mean((X_hat - X) ** 2) < np.mean((X - X.mean(0)) ** 2)  # better than the mean image


def test_reconstruction_of_images_keeps_their_shape(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(reconstruction=True, **FAST).fit(X.reshape(-1, 8, 8))
    assert model.inverse_transform(np.zeros((3, 2))).shape == (3, 8, 8)


def test_global_correlation_weight_raises_distance_correlation(small_digits):
    from scipy.spatial.distance import pdist
    from scipy.stats import pearsonr

    X, _ = small_digits
    corr = []
    for weight in (0.0, 3.0):
        Z = ParametricUMAP(global_correlation_weight=weight, n_epochs=30, random_state=0).fit_transform(X)
        corr.append(pearsonr(pdist(X), pdist(Z))[0])
    assert corr[1] > corr[0] + 0.02


def test_semi_supervised_classifier_head(digits):
    X, y = digits
    labels = np.full(len(y), -1)
    labelled = np.concatenate([np.flatnonzero(y == c)[:10] for c in range(10)])
    labels[labelled] = y[labelled]
    model = ParametricUMAP(n_epochs=20, random_state=0).fit(X, labels)
    test = np.setdiff1d(np.arange(len(y)), labelled)
    accuracy = np.mean(model.predict(X[test]) == y[test])
    assert "classifier" in model.loss_history_[-1]
    assert accuracy > 0.6  # 10 labels per class; chance is 0.1
    assert np.mean(model.predict(X[labelled]) == y[labelled]) > 0.95
    assert model.predict_proba(X[:5]).shape == (5, 10)


def test_classifier_can_read_the_latent_codes(digits, tmp_path):
    X, y = digits
    labels = np.full(len(y), -1)
    labelled = np.concatenate([np.flatnonzero(y == c)[:10] for c in range(10)])
    labels[labelled] = y[labelled]
    model = ParametricUMAP(n_components=8, n_epochs=20, random_state=0,
                           classifier_input="latent").fit(X, labels)
    assert model.classifier_.n_inputs == 8  # reads z, not the 100-wide hidden layer
    test = np.setdiff1d(np.arange(len(y)), labelled)
    assert np.mean(model.predict(X[test]) == y[test]) > 0.6
    model.save(tmp_path / "m.pumap")
    again = ParametricUMAP.load(tmp_path / "m.pumap")
    assert again.classifier_input == "latent"
    assert np.array_equal(again.predict_proba(X[:20]), model.predict_proba(X[:20]))
    with pytest.raises(ValueError, match="classifier_input"):
        ParametricUMAP(classifier_input="features").fit(X, labels)


def _weights(net: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def _equal(a: list[torch.Tensor], b) -> list[bool]:
    return [torch.equal(x, y) for x, y in zip(a, b, strict=True)]


def test_a_users_module_is_trained_as_a_copy_and_clones_are_independent(small_digits):
    """fit trains a deep copy of the module given: the user's module is untouched, and
    an estimator and its clone end with two trained networks of their own."""
    X, _ = small_digits
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 2))
    given = _weights(net)
    model = ParametricUMAP(encoder=net, **FAST)
    twin = clone(model)
    model.fit(X)
    twin.fit(X[::-1].copy())  # other data: the two must train apart
    assert model.encoder is net and model.encoder_ is not net and twin.encoder_ is not net
    assert all(_equal(given, net.parameters()))  # untouched
    trained, other = _weights(model.encoder_), _weights(twin.encoder_)
    assert not any(_equal(given, trained))  # the copy trained
    assert not all(_equal(trained, other))
    # a second fit starts again from the module given, not from the last fit's weights
    np.testing.assert_array_equal(model.fit_transform(X), ParametricUMAP(
        encoder=net, **FAST).fit_transform(X))


def test_get_params_after_fit_equals_before(small_digits):
    X, _ = small_digits
    controls = TrainingControls()
    model = ParametricUMAP(min_dist=0.2, **FAST)
    before = model.get_params()

    def on_snapshot(snap):
        if snap.step == 1:
            controls.update(min_dist=0.5, learning_rate=5e-3)

    model.fit(X, controls=controls, callback=on_snapshot, snapshot_interval=0.0)
    assert model.get_params() == before
    assert (model.min_dist_, model.learning_rate_) == (0.5, 5e-3)  # what the run ended with


def test_small_data_lowers_n_neighbors_with_a_warning():
    X = np.random.default_rng(0).random((10, 4)).astype(np.float32)
    model = ParametricUMAP(n_neighbors=15, **FAST)
    with pytest.warns(UserWarning, match=r"n_neighbors=15 .*rows \(10\).*n_neighbors=9"):
        model.fit(X)
    assert model.n_neighbors == 15 and model.n_neighbors_ == 9
    assert model.graph_.n_neighbors == 9 and model.transform(X).shape == (10, 2)


def test_transform_chunks_do_not_change_the_result(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(**FAST).fit(X)
    whole = model.transform(X)
    np.testing.assert_allclose(model.transform(X, chunk_size=7), whole, atol=1e-5)
    with pytest.warns(FutureWarning, match="chunk_size"):
        np.testing.assert_array_equal(model.transform(X, batch_size=7),
                                      model.transform(X, chunk_size=7))


def test_deprecated_run_hooks_in_the_constructor_warn_and_work(small_digits):
    X, _ = small_digits
    snaps = []
    model = ParametricUMAP(callback=snaps.append, snapshot_embedding="all",
                           snapshot_interval=0.0, **FAST)
    with pytest.warns(FutureWarning, match=r"callback=.*fit\(X, callback="):
        model.fit(X)
    assert len(snaps) > 2 and snaps[-1].embedding.shape == (len(X), 2)


def test_built_in_network_widths(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(encoder=MLP(hidden=(16, 8)), reconstruction=True,
                           decoder=MLP(hidden=(12,)), **FAST).fit(X)
    assert model.encoder_.hidden == (16, 8) and model.decoder_.hidden == (12,)


def test_conv_encoder_on_colour_images():
    rng = np.random.default_rng(0)
    centres = rng.random((3, 16, 16, 3))
    images = np.concatenate([np.clip(c + rng.normal(0, 0.05, (40, 16, 16, 3)), 0, 1) for c in centres])
    model = ParametricUMAP(reconstruction=True, n_epochs=5, batch_size=256, random_state=0)
    Z = model.fit_transform(images.astype(np.float32))
    assert type(model.encoder_).__name__ == "ConvEncoder"
    assert model.inverse_transform(Z[:2]).shape == (2, 16, 16, 3)


def test_verbose_progress_bar(small_digits, capsys):
    X, _ = small_digits
    ParametricUMAP(verbose=True, **FAST).fit(X)
    assert "ParametricUMAP" in capsys.readouterr().err
