"""The Dataset container: coercion, validation and selection."""

import numpy as np
import pandas as pd
import pytest

from pumap_core.data import DataError, Dataset


def _images(n=6, h=4, w=3, c=None, seed=0):
    shape = (n, h, w) if c is None else (n, h, w, c)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_X_is_built_from_images_as_float32_in_unit_range():
    imgs = _images(c=3)
    ds = Dataset(images=imgs, name="t")
    assert ds.X.dtype == np.float32 and ds.X.flags["C_CONTIGUOUS"]
    assert ds.X.shape == (6, 4 * 3 * 3)
    np.testing.assert_allclose(ds.X, imgs.reshape(6, -1) / 255.0, rtol=1e-6)
    assert ds.image_shape == (4, 3, 3)
    assert len(ds) == ds.n_samples == 6
    assert ds.attributes.shape == (6, 0)


def test_X_is_coerced_to_contiguous_float32():
    X = np.arange(20, dtype=np.float64).reshape(4, 5)[:, ::2]
    ds = Dataset(X=X)
    assert ds.X.dtype == np.float32 and ds.X.flags["C_CONTIGUOUS"]
    assert ds.image_shape is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X": np.zeros(5)}, "2-D"),
        ({"X": np.array([[1.0, np.nan]])}, "NaN or inf"),
        ({"X": np.array([["a", "b"]])}, "numeric"),
        ({}, "give X or images"),
        ({"images": np.zeros((2, 3, 3), dtype=np.float32)}, "uint8"),
        ({"images": np.zeros((2, 3, 3, 2), dtype=np.uint8)}, "c in"),
        ({"X": np.zeros((3, 9)), "images": np.zeros((2, 3, 3), dtype=np.uint8)}, "2 images"),
        ({"X": np.zeros((2, 8)), "images": np.zeros((2, 3, 3), dtype=np.uint8)}, "flatten"),
        ({"X": np.zeros((3, 2)), "labels": [0, 1]}, "2 labels"),
        ({"X": np.zeros((2, 2)), "labels": [0, 3], "label_names": ["a", "b"]}, "no name"),
        ({"X": np.zeros((2, 2)), "labels": [0, -2]}, ">= 0"),
        ({"X": np.zeros((2, 2)), "label_names": ["a"]}, "without labels"),
        ({"X": np.zeros((2, 2)), "attributes": pd.DataFrame({"a": [1, 2, 3]})}, "3 rows"),
        ({"X": np.zeros((2, 2)), "attributes": {"a": [1, 2]}}, "DataFrame"),
    ],
)
def test_inconsistent_fields_raise_clear_errors(kwargs, message):
    with pytest.raises(DataError, match=message):
        Dataset(**kwargs)


def test_DataError_is_a_ValueError():
    assert issubclass(DataError, ValueError)


def test_string_labels_are_encoded_with_names():
    ds = Dataset(X=np.zeros((4, 2)), labels=np.array(["cat", "dog", "cat", "ant"]))
    assert ds.labels.tolist() == [1, 2, 1, 0]
    assert ds.label_names == ["ant", "cat", "dog"]


def test_float_labels_with_nan_mean_unlabelled():
    ds = Dataset(X=np.zeros((3, 2)), labels=np.array([1.0, np.nan, 0.0]))
    assert ds.labels.tolist() == [1, -1, 0]
    assert ds.labels.dtype == np.int64


def test_subset_by_indices_and_mask_keeps_everything_aligned():
    imgs = _images()
    attrs = pd.DataFrame({"a": range(6)}, index=[f"f{i}" for i in range(6)])
    ds = Dataset(images=imgs, labels=[0, 1, 2, 0, 1, 2], label_names=["x", "y", "z"],
                 attributes=attrs, name="t", source="here")
    sub = ds.subset([4, 1])
    assert sub.n_samples == 2 and sub.name == "t" and sub.source == "here"
    np.testing.assert_array_equal(sub.images, imgs[[4, 1]])
    assert sub.labels.tolist() == [1, 1] and sub.label_names == ["x", "y", "z"]
    assert sub.attributes["a"].tolist() == [4, 1]
    mask = np.array([True, False] * 3)
    assert ds.subset(mask).attributes["a"].tolist() == [0, 2, 4]
    with pytest.raises(DataError, match="out of range"):
        ds.subset([6])
    with pytest.raises(DataError, match="mask"):
        ds.subset(np.ones(5, dtype=bool))
    with pytest.raises(DataError, match="integers"):
        ds.subset([0.5])


def test_repr_is_a_short_summary():
    r = repr(Dataset(images=_images(), labels=[0, 1, 0, 1, 0, 1], name="t"))
    assert r.startswith("Dataset(name='t', n_samples=6") and "image_shape=(4, 3)" in r
    assert len(r) < 200
