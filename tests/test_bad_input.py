import numpy as np
import pandas as pd
import pytest

from pumap_core import ParametricUMAP

FAST = dict(n_epochs=2, random_state=0)


@pytest.mark.parametrize("X,message", [
    (np.array([[0.0, np.nan]] * 30), "NaN"),
    (np.array([[0.0, np.inf]] * 30), "inf"),
    (np.zeros(30), "1-D"),
    (np.zeros((30, 2, 2, 2, 2)), "dimensions"),
    (np.zeros((0, 4)), "empty: 0 sample"),
    (np.zeros((5, 0)), "empty: 0 feature"),
    (np.random.rand(2, 4), "2 sample.*minimum of 3"),
    (np.zeros((30, 2), complex), "Complex data not supported"),
    (np.ones((40, 3)), "identical"),
    (np.array([["a", "b"]] * 30), "non-numeric"),
    (pd.DataFrame({"x": np.arange(30.0), "name": ["a"] * 30}), "non-numeric columns"),
    (None, "None"),
])
def test_bad_fit_input_names_the_problem(X, message):
    with pytest.raises(ValueError, match=message):
        ParametricUMAP(**FAST).fit(X)


def test_transform_before_fit():
    from sklearn.exceptions import NotFittedError

    for method in ("transform", "encode", "decode", "predict", "inverse_transform", "codes_at"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(ParametricUMAP(), method)(np.zeros((3, 4)))


def test_transform_with_wrong_number_of_features(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(**FAST).fit(X)
    with pytest.raises(ValueError, match="63 features.*64"):
        model.transform(X[:, :63])
    with pytest.raises(ValueError, match="no decoder"):
        model.inverse_transform(np.zeros((2, 2)))


def test_bad_labels(small_digits):
    X, _ = small_digits
    with pytest.raises(ValueError, match="one label per row"):
        ParametricUMAP(**FAST).fit(X, np.zeros(5))


@pytest.mark.parametrize("param,value", [("n_neighbors", 1), ("n_components", 0),
                                         ("learning_rate", -1.0), ("reconstruction_loss", "l1"),
                                         ("batch_size", 2.5), ("input_projection", 10_000)])
def test_bad_parameters(small_digits, param, value):
    X, _ = small_digits
    with pytest.raises(ValueError, match=param):
        ParametricUMAP(**{**FAST, param: value}).fit(np.tile(X, (1, 4)))
