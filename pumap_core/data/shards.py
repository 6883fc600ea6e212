"""Folders of shards: ``.npy`` row blocks or Parquet tables, read in name order.

Large data often arrives as many files, as Spark or Dask write them
(``part.0.parquet``, ``part.1.parquet``, ...). Names sort naturally (``part.2``
before ``part.10``), the order Dask reads a folder in, so a Dask job over the
same folder sees the rows in the same order. Names starting with ``_`` or ``.``
(``_SUCCESS``, ``_metadata``, ``.crc`` files) are bookkeeping and skipped.

``.npy`` shards are row blocks of one shape (2-D rows, or images); Parquet
shards are tables split as :func:`~pumap_core.data.tables.table_to_dataset`
splits one table (label column, numeric features, the rest attributes).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import DataError, Dataset
from .tables import array_to_dataset, open_npy, read_table, table_to_dataset

SHARD_SUFFIXES = {".npy": "npy", ".parquet": "parquet", ".parq": "parquet", ".pq": "parquet"}


def natural_key(name: str) -> list:
    """Sort key comparing digit runs as numbers: part.2 < part.10 (Dask's order)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def shard_files(folder: str | Path) -> tuple[str, list[Path]] | None:
    """``(kind, files)`` for a shard folder ("npy" or "parquet"), else None.

    A folder is a shard folder when every visible file in it is a shard of
    one kind; a folder mixing the two kinds is an error, not a guess.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return None
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(("_", "."))]
    kinds = {SHARD_SUFFIXES.get(p.suffix.lower()) for p in files}
    if not files or None in kinds:
        return None
    if len(kinds) > 1:
        raise DataError(f"{folder}: mixes .npy and Parquet shards; keep one kind per folder")
    return kinds.pop(), sorted(files, key=lambda p: natural_key(p.name))


def _bar(files: Sequence[Path], progress: bool) -> Iterable[Path]:
    if not progress:
        return files
    from tqdm.auto import tqdm

    return tqdm(files, desc="loading shards", unit="shard", file=sys.stderr)


def read_shard_arrays(files: Sequence[Path], limit: int | None = None,
                      progress: bool = False) -> np.ndarray:
    """The row blocks stacked in order, only the first ``limit`` rows read."""
    blocks, n, shape = [], 0, None
    for path in _bar(files, progress):
        arr = open_npy(path)
        if arr.ndim < 2:
            raise DataError(f"{path}: a shard must be a block of rows (2-D or images), "
                            f"got shape {arr.shape}")
        if shape is None:
            shape = arr.shape[1:]
        elif arr.shape[1:] != shape:
            raise DataError(f"{path}: rows of shape {arr.shape[1:]}, but the first shard's rows "
                            f"have shape {shape}; all shards need one width")
        take = arr if limit is None else arr[: limit - n]
        blocks.append(np.asarray(take))
        n += len(take)
        if limit is not None and n >= limit:
            break
    return np.concatenate(blocks)


def read_shard_tables(files: Sequence[Path], limit: int | None = None,
                      progress: bool = False) -> pd.DataFrame:
    """The Parquet shards as one table, in order; they must share their columns."""
    tables, n, columns = [], 0, None
    for path in _bar(files, progress):
        table = read_table(path, "parquet")
        if columns is None:
            columns = list(table.columns)
        elif list(table.columns) != columns:
            raise DataError(f"{path}: columns {list(table.columns)} differ from the first "
                            f"shard's {columns}")
        tables.append(table if limit is None else table.iloc[: limit - n])
        n += len(tables[-1])
        if limit is not None and n >= limit:
            break
    return pd.concat(tables, ignore_index=True)


def load_shards(
    folder: str | Path,
    *,
    limit: int | None = None,
    label_column: str | None = "auto",
    feature_columns: Sequence[str] | None = None,
    name: str | None = None,
    progress: bool = False,
) -> Dataset:
    """A shard folder as one Dataset (``progress``: a bar on stderr per shard)."""
    folder = Path(folder)
    found = shard_files(folder)
    if found is None:
        raise DataError(f"{folder}: not a folder of .npy or Parquet shards")
    kind, files = found
    if kind == "npy":
        arr = read_shard_arrays(files, limit, progress)
        return array_to_dataset(arr, folder, name=name or folder.name, source=str(folder))
    table = read_shard_tables(files, limit, progress)
    return table_to_dataset(table, folder, label_column=label_column,
                            feature_columns=feature_columns, name=name or folder.name)
