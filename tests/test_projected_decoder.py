"""The default decoder behind a frozen PCA projection predicts the projection's
coordinates: the same squared error up to a constant, at a fraction of the cost."""

import numpy as np
import pytest
import torch

from pumap_core import ParametricUMAP
from pumap_core.nets import InputProjection, MLPDecoder, ProjectedDecoder


def test_data_space_error_is_coordinate_error_plus_the_distance_from_the_span():
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(30, 6, generator=g))  # orthonormal components
    projection = InputProjection(torch.randn(30, generator=g), q)
    x = torch.randn(50, 30, generator=g)
    c_hat = torch.randn(50, 6, generator=g)
    data_error = (projection.inverse(c_hat) - x).pow(2).sum(1)
    coordinate_error = (c_hat - projection(x)).pow(2).sum(1)
    off_span = (projection.inverse(projection(x)) - x).pow(2).sum(1)
    assert torch.allclose(data_error, coordinate_error + off_span, atol=1e-4)


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(0)
    centers = rng.uniform(0, 1, size=(4, 300))
    X = np.clip(centers[rng.integers(0, 4, 600)] + rng.normal(0, 0.1, (600, 300)), 0, 1)
    return X.astype(np.float32)


def test_wide_data_get_a_projected_decoder_that_decodes_data_values(wide, tmp_path):
    model = ParametricUMAP(n_epochs=3, reconstruction=True, random_state=0).fit(wide)
    assert isinstance(model.decoder_, ProjectedDecoder)
    decoded = model.inverse_transform(model.transform(wide[:50]))
    assert decoded.shape == (50, 300) and decoded.min() >= 0.0 and decoded.max() <= 1.0
    # it reconstructs: far closer to the rows than their mean is
    assert np.mean((decoded - wide[:50]) ** 2) < 0.5 * np.mean((wide[:50] - wide.mean(0)) ** 2)
    model.save(tmp_path / "m.safetensors")
    loaded = ParametricUMAP.load(tmp_path / "m.safetensors")
    assert isinstance(loaded.decoder_, ProjectedDecoder)
    np.testing.assert_array_equal(loaded.inverse_transform(model.transform(wide[:50])), decoded)


def test_bce_or_a_chosen_decoder_keep_the_full_width_decoder(wide):
    bce = ParametricUMAP(n_epochs=1, reconstruction=True, reconstruction_loss="bce",
                         random_state=0).fit(wide)
    assert not isinstance(bce.decoder_, ProjectedDecoder)
    mine = MLPDecoder(2, 300)
    chosen = ParametricUMAP(n_epochs=1, reconstruction=True, decoder=mine, random_state=0).fit(wide)
    assert type(chosen.decoder_) is MLPDecoder and chosen.decoder_ is not mine  # a copy


def test_a_head_on_the_hidden_layer_predicts_through_the_projection(wide):
    """Wide rows go through a PCA projection: the head trained on the inner encoder's
    hidden layer must read that layer when predicting too."""
    from pumap_core.nets.projection import ProjectedEncoder

    y = np.full(len(wide), -1)
    y[:40] = np.arange(40) % 2
    model = ParametricUMAP(n_epochs=2, random_state=0, classifier_input="hidden").fit(wide, y)
    assert isinstance(model.encoder_, ProjectedEncoder)
    assert model.classifier_.n_inputs == model.encoder_.n_hidden_features
    proba = model.predict_proba(wide[:50])
    assert proba.shape == (50, 2) and np.allclose(proba.sum(1), 1.0, atol=1e-5)
