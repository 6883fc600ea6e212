"""Attribute directions that hold lighting fixed: when an attribute comes with darker
faces in the data, its direction must not carry the darkness, and the slider's unit
must not count the spread that lighting explains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pumap_core.features import feature_vectors, image_lightness, without_covariates


@pytest.fixture
def confounded_codes():
    """Codes where Smiling moves z0, lighting moves z1, and smiling faces are darker."""
    rng = np.random.default_rng(0)
    n = 4000
    smiling = rng.integers(0, 2, n)
    light = rng.normal(size=n) - 1.0 * smiling
    Z = np.column_stack([2.0 * smiling, 3.0 * light, np.zeros(n)]) + rng.normal(0, 0.1, (n, 3))
    return Z, pd.DataFrame({"Smiling": smiling}), pd.DataFrame({"lightness": light})


def test_holding_lightness_fixed_leaves_the_attribute_its_own_direction(confounded_codes):
    Z, attributes, light = confounded_codes
    plain = feature_vectors(Z, attributes).loc["Smiling"].to_numpy()
    held = feature_vectors(Z, attributes, covariates=light)
    assert abs(plain[1]) > 2.0  # without covariates Smiling also darkens (z1 = 3 · light)
    np.testing.assert_allclose(held.loc["Smiling"].to_numpy(), [2.0, 0.0, 0.0], atol=0.05)
    assert list(held.index) == ["Smiling"]  # a covariate gets no direction, so no slider


def test_codes_without_covariates_keep_no_trace_of_them(confounded_codes):
    Z, _, light = confounded_codes
    residual = without_covariates(Z, light)
    assert abs(np.corrcoef(residual[:, 1], light["lightness"])[0, 1]) < 1e-6
    np.testing.assert_allclose(residual.mean(axis=0), Z.mean(axis=0), atol=1e-9)
    assert residual[:, 1].std() < 0.2 < Z[:, 1].std()  # z1's spread was lighting's


def test_image_lightness_reads_the_centre_and_the_tone():
    rng = np.random.default_rng(1)
    images = rng.uniform(0.2, 0.4, (6, 16, 16, 3)).astype(np.float32)
    images[0, 4:12, 4:12] += 0.5  # a lit face
    images[1, :2] += 0.6  # a bright border only: not the face
    images[2, 4:12, 4:12, 0] += 0.4  # a redder face
    table = image_lightness(images)
    assert list(table.columns) == ["lightness", "tone"]
    assert table["lightness"].idxmax() == 0
    assert table["lightness"][1] < table["lightness"][0]
    assert table["tone"].idxmax() == 2
    np.testing.assert_allclose(table.mean(), 0.0, atol=1e-6)
    assert list(image_lightness(images[..., 0]).columns) == ["lightness"]


def test_image_lightness_names_a_wrong_shape():
    with pytest.raises(ValueError, match="images must be"):
        image_lightness(np.zeros((5, 8)))
