"""A two-code model file (format 2), committed before the package was regrouped,
still loads and computes what it computed when it was written."""

import warnings
from pathlib import Path

import numpy as np

from pumap_core import ParametricUMAP, TwoCode

DATA = Path(__file__).resolve().parent / "data"


def test_v2_two_code_file_loads_and_computes_as_stored():
    from sklearn.datasets import load_digits

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its old spelling is no deprecated call of the user's
        model = ParametricUMAP.load(DATA / "v2_digits_two_code.pumap", device="cpu")
    # code_components, map_grad and map_epochs read as one TwoCode, the head's widths from it
    assert model.two_code == TwoCode(code_components=4, map_epochs=1, map_hidden=(16,))
    assert model.min_dist_ == model.min_dist == 0.1 and model.n_neighbors_ == 8
    expected = np.load(DATA / "v2_digits_two_code_expected.npz", allow_pickle=False)
    X = (load_digits().data[expected["rows"]] / 16.0).astype(np.float32)
    assert model.has_two_codes and model.code_width == 4
    Z, C = model.transform(X), model.encode(X)
    np.testing.assert_allclose(Z, expected["transform"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(C, expected["encode"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.decode(C), expected["decode"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.inverse_transform(Z), expected["inverse_transform"],
                               rtol=1e-5, atol=1e-5)
    assert model.embedding_.shape == (150, 2) and model.codes_.shape == (150, 4)
    assert model.graph_.edges.n_vertices == 150 and model.graph_.n_neighbors == 8
