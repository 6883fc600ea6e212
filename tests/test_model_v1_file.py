"""An old (single-code, format 1) model file, committed before two-code models
existed, still loads and computes what it computed when it was written."""

from pathlib import Path

import numpy as np

from pumap_core import ParametricUMAP

DATA = Path(__file__).resolve().parent / "data"


def test_v1_model_file_loads_and_transforms_as_stored():
    from sklearn.datasets import load_digits

    model = ParametricUMAP.load(DATA / "v1_digits.pumap", device="cpu")
    expected = np.load(DATA / "v1_digits_expected.npz", allow_pickle=False)
    X = (load_digits().data[expected["rows"]] / 16.0).astype(np.float32)
    Z = model.transform(X)
    np.testing.assert_allclose(Z, expected["transform"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.inverse_transform(Z), expected["inverse_transform"],
                               rtol=1e-5, atol=1e-5)
    assert model.embedding_.shape == (200, 2)
    # its parameters held the settings its run ended with: they are the fitted ones now
    assert (model.min_dist_, model.learning_rate_, model.classifier_weight_) == (0.1, 0.003, 0.0)
    assert model.get_params()["two_code"] is None and model.n_neighbors_ == 10
