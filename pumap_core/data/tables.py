"""Arrays and tables: ``.npy``, ``.npz``, ``.csv``, ``.parquet`` and AnnData ``.h5ad``.

Tables split their columns three ways: one label column (named by the
caller or found by name), numeric feature columns (become ``X``) and the
rest (become ``attributes`` metadata). Arrays of 3 or 4 dimensions are
images. Nothing here unpickles: ``.npy``/``.npz`` load with
``allow_pickle=False``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import DataError, Dataset, images_to_X

LABEL_CANDIDATES = ("label", "labels", "y", "class", "target")
_X_KEYS = ("X", "x", "data", "images")
_Y_KEYS = ("y", "labels", "label", "target")
#: file names that say nothing about the data: such a file is named after its folder
GENERIC_STEMS = ("x", "data", "images", "features", "matrix", "values", "train", "embedding")


def display_name(path: Path) -> str:
    """``olivetti/images.npy`` -> "olivetti": a generic file name gives way to its folder's."""
    if path.stem.lower() in GENERIC_STEMS and path.parent.name:
        return path.parent.name
    return path.stem


def companion_labels(path: Path, n: int) -> np.ndarray | None:
    """One label per row from a ``labels.npy`` (or ``<stem>_labels.npy``, ``y.npy``) beside
    ``path``; None when there is none with ``n`` rows."""
    for stem in ("labels", f"{path.stem}_labels", f"{path.stem}-labels", "y", "targets"):
        other = path.with_name(f"{stem}.npy")
        if other == path or not other.is_file():
            continue
        try:
            y = np.load(other, allow_pickle=False)
        except (ValueError, OSError):
            continue
        if y.ndim == 1 and len(y) == n:
            return y
    return None


# -- labels ---------------------------------------------------------------------
def find_label_column(table: pd.DataFrame, label_column: str | None, where) -> str | None:
    """Resolve ``label_column`` ("auto", None or a name) against ``table``."""
    if label_column is None:
        return None
    if label_column == "auto":
        lower = {str(c).lower(): c for c in table.columns}
        return next((lower[c] for c in LABEL_CANDIDATES if c in lower), None)
    if label_column not in table.columns:
        raise DataError(
            f"{where}: no column {label_column!r} for labels; columns: {list(table.columns)}"
        )
    return label_column


def encode_labels(values: pd.Series, where) -> tuple[np.ndarray, list[str]]:
    """Integer codes (−1 = missing) and their names.

    Non-negative integers keep their value as the code (so digit 7 stays 7);
    anything else is encoded in sorted order of its distinct values.
    """
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy().astype(np.int64), ["False", "True"]
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(v)
        if np.isinf(v).any():
            raise DataError(f"{where}: labels contain inf")
        if ok.any() and np.all(v[ok] == np.round(v[ok])) and v[ok].min() >= 0:
            codes = np.where(ok, v, -1).astype(np.int64)
            return codes, [str(i) for i in range(int(codes.max()) + 1)]
    codes, uniques = pd.factorize(s.astype("object"), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


# -- tables -----------------------------------------------------------------------
def table_to_dataset(
    table: pd.DataFrame,
    where: str | Path,
    label_column: str | None = "auto",
    feature_columns: Sequence[str] | None = None,
    limit: int | None = None,
    name: str | None = None,
) -> Dataset:
    """Split a table into labels, numeric features ``X`` and metadata ``attributes``."""
    if limit is not None:
        table = table.iloc[:limit]
    if len(table) == 0:
        header = ", ".join(str(c) for c in list(table.columns)[:3])
        raise DataError(f"{where}: not a data table: one line ({header[:60]}) and no rows "
                        "below it; a table needs a header line and one line per item")
    table = table.reset_index(drop=True)
    label = find_label_column(table, label_column, where)
    labels = label_names = None
    if label is not None:
        labels, label_names = encode_labels(table[label], f"{where} column {label!r}")
        table = table.drop(columns=[label])
    if feature_columns is not None:
        missing = [c for c in feature_columns if c not in table.columns]
        if missing:
            raise DataError(f"{where}: no feature column(s) {missing}")
        features = list(feature_columns)
    else:
        features = [
            c for c in table.columns
            if pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
        ]
    if not features:
        raise DataError(
            f"{where}: no numeric feature columns (columns: {list(table.columns)}); "
            "a table needs numbers to embed"
        )
    try:
        X = table[features].to_numpy(dtype=np.float32, na_value=np.nan)
    except (TypeError, ValueError) as e:
        raise DataError(f"{where}: feature columns must be numeric ({e})") from e
    bad = ~np.isfinite(X)
    if bad.any():
        cols = [str(features[j]) for j in np.flatnonzero(bad.any(axis=0))]
        row = int(np.argwhere(bad)[0][0])
        raise DataError(
            f"{where}: NaN or inf in column(s) {', '.join(cols[:5])}"
            f"{' ...' if len(cols) > 5 else ''} (first at row {row})"
        )
    return Dataset(
        X=X,
        labels=labels,
        label_names=label_names,
        attributes=table.drop(columns=features),
        name=name or display_name(Path(where)),
        source=str(where),
        feature_names=[str(f) for f in features],
    )


def _csv_separator(path: Path) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.readline()
    for sep in (",", "\t", ";"):
        if sep in head:
            return sep
    return ","


def read_table(path: Path, fmt: str) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame, with errors that name the file."""
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=_csv_separator(path))
    except pd.errors.EmptyDataError as e:
        raise DataError(f"{path}: empty file (no header or rows)") from e
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: malformed CSV ({e})") from e
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read {fmt} file ({e})") from e


# -- arrays -----------------------------------------------------------------------
def array_to_dataset(arr: np.ndarray, where, **fields) -> Dataset:
    """A 2-D array is ``X``; a 3-D (n, h, w) or 4-D (n, h, w, c) array is images."""
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{where}: array must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 2:
        if not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise DataError(f"{where}: NaN or inf in column {bad[1]} (first at row {bad[0]})")
        return Dataset(X=arr, **fields)
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[3] not in (3, 4)):
        raise DataError(
            f"{where}: expected a 2-D table or images (n, h, w[, c]); got shape {arr.shape}"
        )
    if arr.dtype == np.uint8:
        return Dataset(X=images_to_X(arr), images=arr, scale=1.0 / 255.0, **fields)
    a = arr.astype(np.float32)
    if not np.isfinite(a).all():
        raise DataError(f"{where}: images contain NaN or inf")
    lo, hi = float(a.min()), float(a.max())
    if lo >= 0 and hi <= 1:
        images = np.round(a * 255).astype(np.uint8)
        return Dataset(X=a.reshape(len(a), -1), images=images, **fields)
    if lo >= 0 and hi <= 255:
        images = np.round(a).astype(np.uint8)
        return Dataset(X=images_to_X(images), images=images, scale=1.0 / 255.0, **fields)
    raise DataError(f"{where}: image values must lie in [0, 1] or [0, 255]; got [{lo}, {hi}]")


def open_npy(path: Path) -> np.ndarray:
    """A ``.npy`` file memory-mapped (rows are read when sliced), never unpickled."""
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r")
    except ValueError as e:
        raise DataError(f"{path}: cannot read .npy ({e}); object arrays are not loaded") from e


def load_npy(path: Path, limit: int | None = None, name: str | None = None) -> Dataset:
    """An array; labels from a ``labels.npy`` beside it (see :func:`companion_labels`)."""
    full = open_npy(path)
    arr = np.asarray(full[:limit] if limit is not None else full)
    labels = label_names = None
    y = companion_labels(path, len(full)) if full.ndim >= 2 else None
    if y is not None:
        labels, label_names = encode_labels(pd.Series(y[:limit]), f"{path} labels")
    return array_to_dataset(arr, path, labels=labels, label_names=label_names,
                            name=name or display_name(path), source=str(path))


def load_npz(path: Path, limit: int | None = None, name: str | None = None) -> Dataset:
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path}: cannot read .npz ({e})") from e
    xkey = next((k for k in _X_KEYS if k in arrays), None)
    if xkey is None and len(arrays) == 1:
        xkey = next(iter(arrays))
    if xkey is None:
        raise DataError(f"{path}: no array named X, data or images (keys: {sorted(arrays)})")
    X = arrays.pop(xkey)[:limit]
    n = len(X)
    ykey = next((k for k in _Y_KEYS if k in arrays), None)
    labels = label_names = None
    if ykey is not None:
        y = arrays.pop(ykey)[:limit]
        if len(y) != n:
            raise DataError(f"{path}: {n} rows in {xkey!r} but {len(y)} in {ykey!r}")
        labels, label_names = encode_labels(pd.Series(y), f"{path} array {ykey!r}")
    if "label_names" in arrays:
        label_names = [str(s) for s in arrays.pop("label_names")]
    extra = {k: v[:limit] for k, v in arrays.items() if v.ndim == 1 and len(v[:limit]) == n}
    return array_to_dataset(
        X, path, labels=labels, label_names=label_names,
        attributes=pd.DataFrame(extra, index=pd.RangeIndex(n)),
        name=name or display_name(path), source=str(path),
    )


def load_h5ad(
    path: Path, limit: int | None = None, label_column: str | None = "auto",
    name: str | None = None,
) -> Dataset:
    """AnnData: ``X`` (dense or sparse) becomes X, ``obs`` the attributes."""
    try:
        import anndata
    except ImportError:
        raise DataError(
            f"{path}: reading .h5ad files needs the anndata package: pip install anndata"
        ) from None
    try:
        adata = anndata.read_h5ad(path)
    except Exception as e:  # anndata/h5py raise many types for a bad file
        raise DataError(f"{path}: cannot read .h5ad ({e})") from e
    if limit is not None:
        adata = adata[:limit]
    X = adata.X.toarray() if hasattr(adata.X, "toarray") else np.asarray(adata.X)
    obs = adata.obs.copy()  # index: the cell (observation) names
    label = find_label_column(obs, label_column, path)
    labels = label_names = None
    if label is not None:
        labels, label_names = encode_labels(obs[label], f"{path} obs column {label!r}")
        obs = obs.drop(columns=[label])
    return array_to_dataset(
        np.asarray(X, dtype=np.float32), path, labels=labels, label_names=label_names,
        attributes=obs, name=name or display_name(path), source=str(path),
        feature_names=[str(v) for v in adata.var_names],
    )
