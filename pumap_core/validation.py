"""Input checks in the spirit of scikit-learn's ``check_array``: every problem
gets an error that names it.

:func:`check_array` is the one array check of the package: the estimator, the
metrics, the objective and the feature directions all read their matrices
through it, with options for what differs between them (precision, images,
a minimum number of rows). Needs neither torch nor pandas to import.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse


def check_array(
    X: Any,
    *,
    name: str = "X",
    dtype: type[np.floating] | None = np.float32,
    allow_images: bool = False,
    scale_uint8: bool = False,
    min_rows: int = 1,
    finite: bool = True,
) -> np.ndarray:
    """``X`` as a finite, C-contiguous float array of shape (n_samples, n_features).

    Reads numpy arrays, lists, pandas DataFrames (numeric columns only), scipy
    sparse matrices and torch tensors. ``dtype``: the float type returned;
    ``None`` keeps float32 as float32 and makes anything else float64 (the
    metrics compute in the input's precision). ``allow_images``: n × h × w and
    n × h × w × c (1, 3 or 4 channels, channel-last) are accepted and returned
    in that shape. ``scale_uint8``: uint8 values (pixels) are scaled to [0, 1].
    ``min_rows``: fewer rows are an error. ``finite=False`` leaves the check for NaN and
    infinity (:func:`check_finite`) to the caller, e.g. on the device the rows go to.
    """
    arr = _as_numbers(X, name)
    if arr.ndim in (3, 4) and allow_images:
        if arr.ndim == 4 and arr.shape[3] not in (1, 3, 4):
            raise ValueError(f"{name} looks like images of shape {arr.shape[1:]}; expected "
                             "n × h × w × c with 1, 3 or 4 channels (channel-last)")
    elif arr.ndim == 1:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got 1-D shape {arr.shape}. "
                         "Reshape your data with X.reshape(-1, 1) for a single feature or "
                         "X.reshape(1, -1) for a single sample")
    elif arr.ndim != 2:
        images = ", or images n × h × w [× c]" if allow_images else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features){images}, got "
                         f"{arr.ndim} dimensions (shape {arr.shape})")
    if arr.size == 0:
        what = "sample" if arr.shape[0] == 0 else "feature"
        raise ValueError(f"{name} is empty: 0 {what}(s) (shape={arr.shape}) while a minimum of 1 "
                         "is required.")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} has {arr.shape[0]} rows; at least {min_rows} are needed")
    if dtype is None:
        dtype = np.float32 if arr.dtype == np.float32 else np.float64
    scale = scale_uint8 and arr.dtype == np.uint8
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if scale:
        arr *= dtype(1.0 / 255.0)
    if finite:
        check_finite(arr, name)
    return arr


def _as_numbers(X: Any, name: str) -> np.ndarray:
    """Any array-like as a numpy array of booleans, integers or reals."""
    if X is None:
        raise ValueError(f"{name} is None; expected an array of shape (n_samples, n_features)")
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # torch.Tensor, without importing torch
        X = X.detach().cpu().numpy()
    if scipy.sparse.issparse(X):
        X = X.toarray()
    elif hasattr(X, "dtypes") and hasattr(X, "columns"):  # pandas DataFrame
        bad = _non_numeric(X)
        if bad:
            raise ValueError(f"{name} has non-numeric columns {bad[:10]}; encode or drop them first")
        X = X.to_numpy()
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {arr.dtype}; expected "
                         "real numbers")
    if arr.dtype == object or arr.dtype.kind in "USV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise NonNumericError(f"{name} contains non-numeric values ({exc})") from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} has dtype {arr.dtype}; expected real numbers (non-numeric)")
    return arr


def check_finite(arr: np.ndarray, name: str = "X") -> None:
    """A ValueError naming how many entries of ``arr`` are NaN or infinite, and where."""
    finite = np.isfinite(arr)
    if finite.all():
        return
    bad = ~finite.reshape(len(arr), -1)
    rows = np.flatnonzero(bad.any(1))
    kind = "NaN" if np.isnan(arr).any() else "infinite values (inf)"
    raise ValueError(f"{name} contains {kind} ({int(bad.sum())} entries, in rows "
                     f"{rows[:5].tolist()}{'...' if len(rows) > 5 else ''}; first in row "
                     f"{int(rows[0])}); impute or drop them first")


def _non_numeric(df) -> list[str]:
    import pandas as pd

    return [str(c) for c in df.columns
            if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))]


def check_same_rows(n_a: int, n_b: int, a: str, b: str) -> None:
    """Two inputs that describe the same samples must have as many rows."""
    if n_a != n_b:
        raise ValueError(f"{a} has {n_a} rows but {b} has {n_b}; they must match")


class NonNumericError(ValueError, TypeError):
    """Data holding values that are not numbers (a ValueError, and a TypeError as numpy
    and scikit-learn raise for them)."""


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or out of range (both a ValueError and a TypeError,
    as in scikit-learn, so callers may catch either)."""


def check_int(value: Any, name: str, low: int, high: int | None = None, why: str = "") -> int:
    """``value`` as an int in [low, high] (no upper bound when ``high`` is None)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidParameterError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise InvalidParameterError(f"{name}={value} is out of range: it must be {bounds}{why}")
    return int(value)


def check_fit_data(X: np.ndarray, n_neighbors: int) -> None:
    """Problems that make a neighbour graph meaningless."""
    n = X.shape[0]
    if n < n_neighbors + 1:
        raise ValueError(f"too few samples: {n} rows, but n_neighbors={n_neighbors} needs at least "
                         f"{n_neighbors + 1}; lower n_neighbors or add data")
    if np.all(X == X[:1]):
        raise ValueError(f"all {n} rows of X are identical; there is no structure to embed")


def check_labels(y: Any, n: int) -> np.ndarray | None:
    """Labels as int64 codes with −1 for unlabelled (NaN/None count as unlabelled)."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y has shape {y.shape}; expected ({n},), one label per row of X")
    if y.dtype.kind == "f":
        y = np.where(np.isfinite(y), y, -1)
        if not np.all(y == np.round(y)):
            raise ValueError("y has non-integer float values; pass class labels")
        return y.astype(np.int64)
    if y.dtype.kind in "iub":
        return y.astype(np.int64)
    raise ValueError(f"Unknown label type: y has dtype {y.dtype}; pass integer class codes "
                     "(−1 for unlabelled)")
