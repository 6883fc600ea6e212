"""Data sets as training and held-out rows, loaded one way for every script.

Named sets come from :func:`pumap_core.data.load` under :func:`harness.paths.data_dir`;
``digits`` is scikit-learn's (always there), ``digits-split`` a fixed hold-out of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from harness.paths import data_dir

#: The data sets whose training and test files are separate (train, ``<name>-test``).
WITH_TEST_FILES = ("mnist", "fashion-mnist")


@dataclass
class Split:
    """Training rows (fit) and held-out rows (transform + metrics) of one data set."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    same_rows: bool = False  # the held-out rows are the training rows (digits)
    note: str = ""
    image_shape: tuple[int, ...] | None = None

    def timing_rows(self) -> np.ndarray:
        """The rows whose transform is timed.

        With ``same_rows`` they are the training rows nudged by 1e-6: umap-learn's
        ``transform`` returns its stored embedding for data that hashes like the
        training data, which would time a lookup instead of a transform.
        """
        if not self.same_rows:
            return self.X_test
        return self.X_test + np.float32(1e-6)

    def without_data(self) -> Split:
        """The same split with zero-row arrays: frees the data, keeps name and note."""
        return replace(self, X_train=self.X_train[:0], y_train=self.y_train[:0],
                       X_test=self.X_test[:0], y_test=self.y_test[:0])


def subsample_rows(n: int, size: int | None, rng: np.random.Generator | int = 0) -> np.ndarray:
    """A random, sorted subset of ``size`` of ``n`` row indices (all rows when
    ``size`` is None or >= n; then no random number is drawn)."""
    if size is None or size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(rng).choice(n, size, replace=False))


def holdout(n: int, n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(training rows, held-out rows)``: a random permutation's tail and head."""
    order = np.random.default_rng(seed).permutation(n)
    return order[n_test:], order[:n_test]


def _rows(X: np.ndarray, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``X[rows], y[rows]``, without a copy when ``rows`` are all rows in order."""
    if len(rows) == len(X):
        return X, y
    return X[rows], y[rows]


def digits_split() -> Split:
    """scikit-learn's digits (X/16): 1,500 rows to fit, 297 held out
    (``default_rng(0).permutation``); the small set with a real hold-out."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rows = np.random.default_rng(0).permutation(len(X))
    fit, held = rows[:1500], rows[1500:]
    return Split("digits-split", X[fit], y[fit], X[held], y[held],
                 note="digits / 16, default_rng(0).permutation: 1,500 fitted, 297 held out")


def load_split(name: str, directory: str | Path | None = None, *, limit: int | None = None,
               n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Split:
    """A named data set as a :class:`Split`.

    ``digits``: all 1,797 images, fitted and evaluated on the same rows.
    ``digits-split``: see :func:`digits_split`. ``mnist``, ``fashion-mnist``:
    the training file to fit, the test file held out; ``limit`` keeps the
    first rows of each file, ``n_train``/``n_test`` a random subsample
    (``seed``; None keeps every row). Raises ``pumap_core.data.DataError``
    when the files cannot be found.
    """
    from pumap_core.data import load

    if name == "digits":
        d = load("digits", limit=limit)
        return Split(name, d.X, d.labels, d.X, d.labels, same_rows=True,
                     note=f"fit on all {len(d.X):,} images, evaluated on the same rows; "
                          "kNN accuracy 5-fold cross-validated on that embedding")
    if name == "digits-split":
        return digits_split()
    folder = data_dir(directory)
    train = load(name, data_dir=folder, limit=limit)
    test = load(f"{name}-test", data_dir=folder, limit=limit)
    rng = np.random.default_rng(seed)
    tr = subsample_rows(len(train.X), n_train, rng)
    te = subsample_rows(len(test.X), n_test, rng)
    shape = tuple(train.images.shape[1:]) if train.images is not None else None
    return Split(name, *_rows(train.X, train.labels, tr), *_rows(test.X, test.labels, te),
                 note=f"fit on {len(tr):,} training images, transform and evaluate "
                      f"the {len(te):,} test images", image_shape=shape)
