"""A model knows how its training rows were scaled: raw rows land where scaled ones do."""

from __future__ import annotations

import numpy as np
import pytest

from pumap_core import ParametricUMAP
from pumap_core.data import load_digits
from pumap_core.scaling import InputScaling

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def digits_model():
    ds = load_digits()
    model = ParametricUMAP(n_epochs=3, random_state=0).fit(ds.X[:1000], input_scale=ds.scale)
    return ds, model


def test_raw_rows_are_scaled_as_the_training_rows_were(digits_model):
    from sklearn.datasets import load_digits as sk_digits

    ds, model = digits_model
    assert model.input_scaling_ == InputScaling(1 / 16, 0.0, 1.0)
    raw = sk_digits().data[1000:1300]  # 0..16, as scikit-learn ships them
    np.testing.assert_array_equal(model.transform(raw), model.transform(ds.X[1000:1300]))


def test_uint8_pixels_record_their_scale(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (120, 8, 8), dtype=np.uint8)
    model = ParametricUMAP(n_epochs=2, random_state=0).fit(images)
    assert model.input_scaling_.factor == pytest.approx(1 / 255)
    flat = images.reshape(120, -1).astype(np.float32)  # a flat .npy of the raw pixels
    np.testing.assert_allclose(model.transform(flat), model.transform(images), atol=1e-6)
    model.save(tmp_path / "m.pumap")
    loaded = ParametricUMAP.load(tmp_path / "m.pumap")
    assert loaded.input_scaling_ == model.input_scaling_
    np.testing.assert_allclose(loaded.transform(flat), model.transform(images), atol=1e-6)


def test_only_rows_that_look_raw_are_scaled():
    s = InputScaling(1 / 255, 0.0, 1.0)
    X = np.array([[0.2, 0.9], [12.0, 250.0], [0.0, 1.2], [-300.0, 900.0]], np.float32)
    scaled, n = s.apply(X)
    assert n == 1 and np.allclose(scaled[1], X[1] / 255) and (scaled[[0, 2, 3]] == X[[0, 2, 3]]).all()
    assert s.far_outside(scaled) == 1  # the last row: nothing makes it a training-like row
    assert InputScaling().apply(X)[1] == 0  # a model without a recorded scale changes nothing
    assert "raw values × 1/255" in s.describe() and "[0, 1]" in s.describe()


def test_files_from_before_load_without_a_scale():
    from pathlib import Path

    model = ParametricUMAP.load(Path(__file__).parent / "data" / "v1_digits.pumap")
    assert model.input_scaling_ == InputScaling()


def test_loaders_say_how_they_scaled(tmp_path):
    from pumap_core.data import load

    assert load_digits().scale == pytest.approx(1 / 16)
    np.save(tmp_path / "images.npy", np.zeros((5, 8, 8), np.uint8))
    assert load(tmp_path / "images.npy").scale == pytest.approx(1 / 255)
    np.save(tmp_path / "table.npy", np.zeros((5, 3), np.float32))
    assert load(tmp_path / "table.npy").scale == 1.0
