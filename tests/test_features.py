"""Latent feature vectors: OLS recovery, label one-hot, shifting, errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pumap_core.features import attribute_design, feature_vectors, shift_codes


def _synthetic(n=200, k=3, seed=0):
    rng = np.random.default_rng(seed)
    A = pd.DataFrame({"smile": rng.integers(0, 2, n), "glasses": rng.integers(0, 2, n),
                      "age": rng.normal(40, 10, n)})
    W = rng.normal(size=(3, k))
    b = rng.normal(size=k)
    Z = b + A.to_numpy() @ W
    return Z, A, W, b


def test_recovers_known_directions_exactly():
    Z, A, W, b = _synthetic()
    fv = feature_vectors(Z, A)
    assert list(fv.index) == ["smile", "glasses", "age"]
    assert list(fv.columns) == ["z0", "z1", "z2"]
    np.testing.assert_allclose(fv.to_numpy(), W, atol=1e-9)
    np.testing.assert_allclose(fv.attrs["intercept"], b, atol=1e-8)
    np.testing.assert_allclose(fv.attrs["r2"], 1.0, atol=1e-12)
    assert fv.attrs["dropped"] == []


@settings(max_examples=30, deadline=None)
@given(p=st.integers(1, 5), k=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_recovery_holds_for_any_full_rank_design(p, k, seed):
    rng = np.random.default_rng(seed)
    A = pd.DataFrame(rng.integers(0, 2, (60, p)), columns=[f"a{i}" for i in range(p)])
    design = np.column_stack([np.ones(60), A.to_numpy()])
    if np.linalg.matrix_rank(design) < p + 1 or (A.nunique() < 2).any():
        return
    W = rng.normal(size=(p, k))
    fv = feature_vectors(1.5 + A.to_numpy() @ W, A)
    np.testing.assert_allclose(fv.to_numpy(), W, atol=1e-8)


def test_noise_gives_close_directions():
    Z, A, W, _ = _synthetic(n=2000)
    Z = Z + np.random.default_rng(1).normal(scale=0.05, size=Z.shape)
    np.testing.assert_allclose(feature_vectors(Z, A).to_numpy(), W, atol=0.02)


def test_constant_columns_are_dropped_with_a_note():
    Z, A, W, _ = _synthetic()
    A["bald"] = 0
    with pytest.warns(UserWarning, match="dropped constant attribute column"):
        fv = feature_vectors(Z, A)
    assert "bald" not in fv.index and fv.attrs["dropped"] == ["bald"]
    np.testing.assert_allclose(fv.to_numpy(), W, atol=1e-9)


def test_label_vector_is_one_hot_encoded_by_name():
    centroids = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 2.0]])
    y = np.repeat([0, 1, 2], 5)
    Z = centroids[y]
    fv = feature_vectors(Z, y, label_names=["zero", "one", "two"])
    assert list(fv.index) == ["zero", "one", "two"]
    np.testing.assert_allclose(fv.to_numpy(), centroids - centroids.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(fv.attrs["intercept"], centroids.mean(axis=0))
    # moving a "zero" by w_one - w_zero lands on the "one" centroid
    step = fv.loc["one"].to_numpy() - fv.loc["zero"].to_numpy()
    np.testing.assert_allclose(Z[0] + step, centroids[1])


def test_string_labels_and_unlabelled_rows():
    Z = np.array([[0.0], [0.0], [2.0], [2.0], [99.0]])
    fv = feature_vectors(Z, pd.Series(["a", "a", "b", "b", None]))
    assert list(fv.index) == ["a", "b"]
    np.testing.assert_allclose(fv["z0"].to_numpy(), [-1.0, 1.0])


def test_categorical_columns_are_coded_against_the_first_level():
    A = pd.DataFrame({"split": ["train", "test", "train", "test"], "x": [0.0, 1.0, 2.0, 3.0]})
    design = attribute_design(A)
    assert list(design.columns) == ["split=train", "x"]
    Z = (1.0 * design["x"].to_numpy() + 5.0 * design["split=train"].to_numpy())[:, None]
    fv = feature_vectors(Z, A)
    np.testing.assert_allclose(fv["z0"].to_numpy(), [5.0, 1.0], atol=1e-9)


def test_shift_codes_scalar_and_stacked_alphas():
    Z, A, _, _ = _synthetic()
    fv = feature_vectors(Z, A)
    w = fv.loc["smile"].to_numpy()
    z = Z[:4].astype(np.float32)
    out = shift_codes(z, fv, "smile", 2.0)
    assert out.shape == (4, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, z + 2 * w, rtol=1e-5)
    strip = shift_codes(Z[0], fv, "smile", [-1.0, 0.0, 1.0])
    assert strip.shape == (3, 3)
    np.testing.assert_allclose(strip[1], Z[0])
    np.testing.assert_allclose(strip[2] - strip[0], 2 * w)
    assert shift_codes(Z[:2], fv, "age", np.linspace(0, 1, 5)).shape == (5, 2, 3)


@pytest.mark.parametrize(
    "Z, attrs, error, message",
    [
        (np.zeros(5), pd.DataFrame({"a": range(5)}), ValueError, "2-D"),
        (np.full((3, 2), np.nan), pd.DataFrame({"a": [0, 1, 0]}), ValueError, "Z contains NaN"),
        (np.zeros((3, 2)), pd.DataFrame({"a": [0, 1]}), ValueError, "2 rows but Z has 3"),
        (np.zeros((3, 2)), pd.DataFrame({"a": [0.0, np.nan, 1.0]}), ValueError, "'a' has NaN"),
        (np.zeros((3, 2)), pd.DataFrame(index=range(3)), ValueError, "no attribute columns"),
        (np.zeros((1, 2)), pd.DataFrame({"a": [1]}), ValueError, "at least 2"),
        (np.zeros((3, 2)), np.zeros((3, 2, 2)), TypeError, "DataFrame or a 1-D label"),
    ],
)
def test_bad_input_is_named(Z, attrs, error, message):
    with pytest.raises(error, match=message):
        feature_vectors(Z, attrs)


def test_all_constant_columns_is_an_error():
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="every attribute"):
        feature_vectors(np.zeros((3, 2)), pd.DataFrame({"a": [1, 1, 1]}))


def test_shift_codes_errors():
    Z, A, _, _ = _synthetic()
    fv = feature_vectors(Z, A)
    with pytest.raises(KeyError, match="no direction for 'hat'"):
        shift_codes(Z, fv, "hat", 1.0)
    with pytest.raises(ValueError, match="components"):
        shift_codes(np.zeros((2, 5)), fv, "smile", 1.0)
    with pytest.raises(ValueError, match="alpha"):
        shift_codes(Z, fv, "smile", np.nan)
    with pytest.raises(TypeError):
        shift_codes(Z, fv.to_numpy(), "smile", 1.0)


def test_features_module_does_not_import_torch():
    import ast
    import inspect

    import pumap_core.features as features

    tree = ast.parse(inspect.getsource(features))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom) and n.module}
    assert "torch" not in imported
