"""New rows on a trained map: embedded with ``transform`` and shown on top of the training rows.

This is what a parametric embedding is for: the encoder places rows it never
saw in one forward pass. :class:`Added` holds them and their codes;
:class:`Shown` lets the views index training and new rows as one table
without copying the (possibly large) feature and image arrays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Added:
    """Rows opened after training: their data set, codes, and how fast they were embedded."""

    dataset: object  # pumap_core.data.Dataset
    z: np.ndarray
    seconds: float = 0.0
    step: int = -1  # the training step whose encoder embedded them (-1: a finished model)
    at: float = field(default_factory=time.monotonic)  # when they were embedded
    n_scaled: int = 0  # rows that arrived raw and were scaled as the training rows were
    n_outside: int = 0  # rows far outside the training range even so
    scaling: str = ""  # the training rows' scaling, in words

    @property
    def n(self) -> int:
        return len(self.z)

    @property
    def rate(self) -> float:
        """Rows embedded per second."""
        return self.n / max(self.seconds, 1e-9)


def check_features(model, train, ds) -> None:
    """A ValueError that says why ``ds`` cannot go on this map, if it cannot."""
    d = getattr(model, "n_features_in_", train.n_features)
    if ds.n_features != d:
        raise ValueError(
            f"{ds.name!r} has {ds.n_features:,} features per item, but the map was trained on "
            f"{train.name!r} with {d:,}: open rows with the same features (for example the "
            "test split of the same data set)")
    if train.image_shape and ds.image_shape and train.image_shape != ds.image_shape:
        raise ValueError(f"{ds.name!r} has images of {ds.image_shape}, the map's data "
                         f"{train.image_shape}")


def embed_rows(model, ds, step: int = -1) -> Added:
    """``model.transform`` of the new rows, timed, and how they compare with the training
    rows' scale (``transform`` scales rows that arrive raw, e.g. 0..255 pixels)."""
    from pumap_core.scaling import InputScaling

    t0 = time.perf_counter()
    z = model.transform(ds.X)
    seconds = time.perf_counter() - t0
    scaling = getattr(model, "input_scaling_", None) or InputScaling()
    scaled, n_scaled = scaling.apply(ds.X)
    return Added(ds, z, seconds, step, n_scaled=n_scaled, n_outside=scaling.far_outside(scaled),
                 scaling=scaling.describe())


def added_messages(added: Added) -> tuple[str, str]:
    """``(notice, warning)`` about new rows: how many were placed, and whether they were
    scaled or lie far outside the training range."""
    notice = (f"Placed {added.n:,} new rows from {added.dataset.name} on the map: "
              f"{added.rate:,.0f} rows per second.")
    if added.n_scaled:
        notice += (f" {added.n_scaled:,} arrived as raw values and were scaled as the "
                   f"training rows were ({added.scaling}).")
    warning = ""
    if added.n_outside:
        warning = (f"{added.n_outside:,} of the {added.n:,} new rows lie far outside the "
                   f"training range ({added.scaling}): their places on the map mean little. "
                   "Scale them as the training data were.")
    return notice, warning


class RowStack:
    """Rows of ``a`` then rows of ``b``, indexable by an int or an int array, without a copy."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b, self.n_a = a, b, len(a)
        self.shape = (len(a) + len(b), *a.shape[1:])
        self.dtype = a.dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        if np.ndim(index) == 0:
            i = int(index)
            return self.a[i] if i < self.n_a else self.b[i - self.n_a]
        index = np.asarray(index)
        out = np.empty((len(index), *self.shape[1:]), self.dtype)
        first = index < self.n_a
        out[first] = self.a[index[first]]
        out[~first] = self.b[index[~first] - self.n_a]
        return out


class Shown:
    """The training data set followed by the added rows: what the map's row indices mean."""

    def __init__(self, train, added) -> None:
        new = added.dataset
        self.train, self.new = train, new
        self.name = f"{train.name} + {new.name}"
        self.n_train = train.n_samples
        self.n_samples = train.n_samples + new.n_samples
        self.n_features = train.n_features
        self.image_shape = train.image_shape
        self.X = RowStack(train.X, new.X)
        self.images = None
        if train.images is not None:
            self.images = RowStack(train.images, _images_of(new, train.images.shape[1:]))
        self.label_names = train.label_names
        self.labels = None
        if train.labels is not None:
            same = new.labels is not None and new.label_names == train.label_names
            extra = new.labels if same else np.full(new.n_samples, -1, np.int64)
            self.labels = np.concatenate([train.labels, extra])
        self.attributes = pd.concat([train.attributes, new.attributes], ignore_index=True)
        self.attributes = self.attributes.reindex(columns=train.attributes.columns)
        self.feature_names = getattr(train, "feature_names", None)

    def is_new(self, i: int) -> bool:
        return i >= self.n_train


def _images_of(ds, shape: tuple[int, ...]) -> np.ndarray:
    """The new rows' images, or their features in [0, 1] drawn as images of ``shape``."""
    if ds.images is not None and ds.images.shape[1:] == shape:
        return ds.images
    X = np.clip(np.nan_to_num(ds.X), 0.0, 1.0)
    return np.round(X * 255).astype(np.uint8).reshape(-1, *shape)
