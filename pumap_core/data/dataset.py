"""The :class:`Dataset` container every loader returns, and :class:`DataError`.

One object carries everything downstream code needs: the float matrix the
network trains on, the raw images for display and decoding, integer label
codes with their names, and a metadata table. It checks its own consistency
so that a broken loader (or a hand-made Dataset) fails here, loudly, rather
than deep inside training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


class DataError(ValueError):
    """A data source is missing, malformed or inconsistent.

    The message names the file (or data set) and the problem.
    """


def images_to_X(images: np.ndarray) -> np.ndarray:
    """Flatten uint8 images to a C-contiguous float32 matrix scaled to [0, 1].

    Writes straight into the float32 result (no float64 temporary), which
    matters for tens of thousands of colour images.
    """
    n = images.shape[0]
    X = np.empty((n, int(np.prod(images.shape[1:], dtype=np.int64))), dtype=np.float32)
    np.multiply(images.reshape(n, -1), np.float32(1.0 / 255.0), out=X, dtype=np.float32)
    return X


def _as_labels(labels, label_names):
    """Turn labels into int64 codes (−1 = unlabelled) and names."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise DataError(f"labels must be 1-D, got shape {labels.shape}")
    if labels.dtype.kind in "iu":
        return labels.astype(np.int64, copy=False), label_names
    if labels.dtype.kind == "b":
        names = label_names if label_names is not None else ["False", "True"]
        return labels.astype(np.int64), names
    if labels.dtype.kind == "f":
        finite = np.isfinite(labels)
        if np.any(labels[finite] != np.round(labels[finite])):
            raise DataError("labels must be integer codes; got non-integral floats")
        codes = np.where(finite, labels, -1).astype(np.int64)
        return codes, label_names
    if label_names is not None:
        raise DataError("label_names may only be given with integer label codes")
    # Strings or objects: encode as codes of the sorted distinct values.
    codes, uniques = pd.factorize(pd.Series(labels, dtype="object"), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


@dataclass(repr=False, eq=False)
class Dataset:
    """A loaded data set, ready for embedding.

    Attributes
    ----------
    X : (n, d) float32, C-contiguous. Built from ``images`` (scaled to
        [0, 1], flattened) when omitted.
    images : (n, h, w) or (n, h, w, c) uint8, or None.
    labels : (n,) int64 codes or None; −1 marks an unlabelled row. Strings
        are accepted and encoded (sorted) with ``label_names`` filled in.
    label_names : names of codes 0..K−1, or None.
    attributes : metadata, a DataFrame with n rows (possibly no columns).
    name, source : a short display name and where the data came from.
    scale : the factor that made ``X`` from the raw values (1/255 for pixels,
        1/16 for scikit-learn's digits, 1 for tables); ``None``: 1/255 when ``X``
        is built from ``images``, else 1. A model fitted on ``X`` records it
        (``fit(X, input_scale=...)``) so that raw new rows can be scaled alike.
    feature_names : names of ``X``'s columns (a table's columns, genes), or None.
    """

    X: np.ndarray | None = None
    images: np.ndarray | None = None
    labels: np.ndarray | None = None
    label_names: list[str] | None = None
    attributes: pd.DataFrame | None = None
    name: str = "data"
    source: str = ""
    scale: float | None = None
    feature_names: list[str] | None = None

    def __post_init__(self) -> None:
        where = f"data set {self.name!r}"
        if self.scale is None:
            self.scale = 1.0 / 255.0 if self.X is None and self.images is not None else 1.0
        if self.images is not None:
            self.images = np.asarray(self.images)
            if self.images.dtype != np.uint8:
                raise DataError(f"{where}: images must be uint8, got {self.images.dtype}")
            ok_channels = self.images.ndim == 4 and self.images.shape[3] in (1, 3, 4)
            if self.images.ndim != 3 and not ok_channels:
                raise DataError(
                    f"{where}: images must have shape (n, h, w) or (n, h, w, c) with c in "
                    f"1, 3, 4; got {self.images.shape}"
                )
        if self.X is None:
            if self.images is None:
                raise DataError(f"{where}: give X or images")
            self.X = images_to_X(self.images)
        X = np.asarray(self.X)
        if X.ndim != 2:
            raise DataError(f"{where}: X must be 2-D (n_samples, n_features), got shape {X.shape}")
        if X.dtype.kind not in "biuf":
            raise DataError(f"{where}: X must be numeric, got dtype {X.dtype}")
        X = np.ascontiguousarray(X, dtype=np.float32)
        # A float64 sum is NaN/inf exactly when an entry is (no overflow from float32
        # values), and needs no n×d temporary, unlike isfinite(X).all().
        if X.size and not np.isfinite(np.add.reduce(X, axis=None, dtype=np.float64)):
            bad = np.argwhere(~np.isfinite(X))[0]
            raise DataError(f"{where}: X has NaN or inf (first at row {bad[0]}, column {bad[1]})")
        self.X = X
        n = X.shape[0]
        if self.images is not None:
            if len(self.images) != n:
                raise DataError(f"{where}: {len(self.images)} images but {n} rows in X")
            if int(np.prod(self.images.shape[1:])) != X.shape[1]:
                raise DataError(
                    f"{where}: X has {X.shape[1]} columns but images of shape "
                    f"{self.images.shape[1:]} flatten to {int(np.prod(self.images.shape[1:]))}"
                )
        if self.labels is not None:
            self.labels, self.label_names = _as_labels(self.labels, self.label_names)
            if len(self.labels) != n:
                raise DataError(f"{where}: {len(self.labels)} labels but {n} rows in X")
            if len(self.labels) and self.labels.min() < -1:
                raise DataError(f"{where}: label codes must be >= 0 (or -1 for unlabelled)")
        if self.label_names is not None:
            self.label_names = [str(s) for s in self.label_names]
            if self.labels is None:
                raise DataError(f"{where}: label_names given without labels")
            if len(self.labels) and self.labels.max() >= len(self.label_names):
                raise DataError(
                    f"{where}: label code {int(self.labels.max())} has no name "
                    f"({len(self.label_names)} label_names)"
                )
        if self.attributes is None:
            self.attributes = pd.DataFrame(index=pd.RangeIndex(n))
        elif not isinstance(self.attributes, pd.DataFrame):
            raise DataError(f"{where}: attributes must be a pandas DataFrame")
        elif len(self.attributes) != n:
            raise DataError(f"{where}: attributes have {len(self.attributes)} rows, X has {n}")
        if self.feature_names is not None:
            self.feature_names = [str(f) for f in self.feature_names]
            if len(self.feature_names) != X.shape[1]:
                raise DataError(f"{where}: {len(self.feature_names)} feature names for "
                                f"{X.shape[1]} columns")

    # -- shape ---------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """(h, w) or (h, w, c) of one image, or None for non-image data."""
        return None if self.images is None else tuple(int(s) for s in self.images.shape[1:])

    def __len__(self) -> int:
        return self.n_samples

    # -- selection -----------------------------------------------------------
    def subset(self, indices: Sequence[int] | np.ndarray) -> Dataset:
        """Rows ``indices`` (ints or a boolean mask) as a new Dataset."""
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (self.n_samples,):
                raise DataError(f"boolean mask of shape {idx.shape} for {self.n_samples} rows")
            idx = np.flatnonzero(idx)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise DataError("indices must be a 1-D array of integers or a boolean mask")
        idx = idx.astype(np.intp, copy=False)
        if idx.size and (idx.max() >= self.n_samples or idx.min() < -self.n_samples):
            raise DataError(f"index out of range for {self.n_samples} rows")
        return Dataset(
            X=self.X[idx],
            images=None if self.images is None else self.images[idx],
            labels=None if self.labels is None else self.labels[idx],
            label_names=None if self.label_names is None else list(self.label_names),
            attributes=self.attributes.iloc[idx],
            name=self.name,
            source=self.source,
            scale=self.scale,
            feature_names=self.feature_names,
        )

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}", f"n_samples={self.n_samples}", f"n_features={self.n_features}"]
        if self.images is not None:
            parts.append(f"image_shape={self.image_shape}")
        if self.labels is not None:
            k = len(self.label_names) if self.label_names else int(self.labels.max()) + 1
            parts.append(f"n_classes={k}")
        if len(self.attributes.columns):
            parts.append(f"attributes={len(self.attributes.columns)} columns")
        return f"Dataset({', '.join(parts)})"
