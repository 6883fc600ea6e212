"""Input checks in the spirit of scikit-learn's ``check_array``: every problem
gets an error that names it."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse


def as_float_rows(X: Any, *, name: str = "X") -> tuple[np.ndarray, tuple[int, ...] | None]:
    """Return ``(rows, image_shape)``: X as a C-contiguous float32 n×d array.

    Accepts numpy arrays (float, int, uint8 — uint8 is scaled to [0, 1]),
    pandas DataFrames (numeric columns only), scipy sparse matrices and
    images n×h×w[×c] (flattened channel-last; ``image_shape`` is (h, w[, c])).
    """
    image_shape = None
    if X is None:
        raise ValueError(f"{name} is None; expected an array of shape (n_samples, n_features)")
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
    if arr.dtype == object or arr.dtype.kind in "USV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} contains non-numeric values ({exc})") from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} has dtype {arr.dtype}; expected numbers")
    if arr.ndim in (3, 4):
        image_shape = tuple(int(s) for s in arr.shape[1:])
        if arr.ndim == 4 and image_shape[2] not in (1, 3, 4):
            raise ValueError(f"{name} looks like images of shape {image_shape}; expected "
                             "n × h × w × c with 1, 3 or 4 channels (channel-last)")
        arr = arr.reshape(arr.shape[0], -1)
    elif arr.ndim == 1:
        raise ValueError(f"{name} is 1-D (shape {arr.shape}); expected 2-D (n_samples, n_features). "
                         "Reshape with X.reshape(-1, 1) for a single feature.")
    elif arr.ndim != 2:
        raise ValueError(f"{name} has {arr.ndim} dimensions (shape {arr.shape}); expected 2-D "
                         "rows, or images n × h × w [× c]")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    scale = 1.0 / 255.0 if arr.dtype == np.uint8 else None
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if scale is not None:
        arr *= scale
    if not np.isfinite(arr).all():
        bad = ~np.isfinite(arr)
        rows = np.flatnonzero(bad.any(1))
        kind = "NaN" if np.isnan(arr[bad]).any() else "inf"
        raise ValueError(f"{name} contains {kind} values ({int(bad.sum())} entries, in rows "
                         f"{rows[:5].tolist()}{'...' if len(rows) > 5 else ''}); "
                         "impute or drop them first")
    return arr, image_shape


def _non_numeric(df) -> list[str]:
    import pandas as pd

    return [str(c) for c in df.columns
            if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))]


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
    raise ValueError(f"y has dtype {y.dtype}; pass integer class codes (−1 for unlabelled)")
