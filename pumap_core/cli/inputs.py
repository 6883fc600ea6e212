"""Reading what the commands take: models, data sets and tables of codes.

Every problem becomes an error naming the file and what is wrong with it, so
the command line can report it in one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from .columns import LABEL, ROW, map_columns
from .errors import CLIError


def check_device(device: str) -> None:
    """Refuse a device this machine lacks before loading anything onto it."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CLIError(f"--device {device}: CUDA is not available on this machine")
    mps = getattr(torch.backends, "mps", None)
    if device == "mps" and not (mps is not None and mps.is_available()):
        raise CLIError("--device mps: Apple's MPS is not available on this machine")


def load_model(path: str, device: str = "auto") -> Any:
    """A saved ParametricUMAP (the safe loader: it never runs code from the file)."""
    from pumap_core import ParametricUMAP

    check_device(device)
    return ParametricUMAP.load(path, device=device)


def label_column(args: argparse.Namespace) -> str | None:
    """``--label-column``, with ``none`` meaning no labels."""
    return None if args.label_column.lower() == "none" else args.label_column


def feature_columns(args: argparse.Namespace) -> list[str] | None:
    if not args.feature_columns:
        return None
    return [c.strip() for c in args.feature_columns.split(",") if c.strip()]


def read_data(args: argparse.Namespace, progress: bool = True) -> Any:
    """DATA as a :class:`~pumap_core.data.Dataset`; shard folders load under a bar."""
    from pumap_core.data import load
    from pumap_core.data.shards import load_shards, shard_files

    if shard_files(args.data) is not None:
        return load_shards(args.data, limit=args.limit, label_column=label_column(args),
                           feature_columns=feature_columns(args), progress=progress)
    return load(args.data, split=args.split, limit=args.limit, label_column=label_column(args),
                feature_columns=feature_columns(args), data_dir=args.data_dir)


def model_input(ds: Any) -> np.ndarray:
    """Images keep their shape, so a model learns (and later checks) its image size."""
    shape = ds.image_shape
    if shape and ds.X.shape[1] == int(np.prod(shape)):
        return ds.X.reshape(len(ds.X), *shape)
    return ds.X


def check_fits(model: Any, inputs: np.ndarray, where: str) -> None:
    """Say how DATA and MODEL differ (width, image size) before encoding anything."""
    try:
        model.check_input(inputs[:1])
    except ValueError as e:
        raise CLIError(f"{where}: {e}") from None


def _codes_table(path: Path) -> Any:
    """CODES as a DataFrame (tables, part folders) or an ndarray (.npy)."""
    from pumap_core.data.shards import read_shard_arrays, read_shard_tables, shard_files
    from pumap_core.data.sources import detect_format
    from pumap_core.data.tables import open_npy, read_table

    found = shard_files(path)
    if found is not None:
        kind, files = found
        return read_shard_arrays(files) if kind == "npy" else read_shard_tables(files)
    fmt = detect_format(path)
    if fmt == "npy":
        return np.array(open_npy(path))  # a writable copy, not the read-only map
    if fmt not in ("csv", "parquet"):
        raise CLIError(f"{path}: codes must be a Parquet or CSV table or a .npy matrix, "
                       f"not {fmt}")
    return read_table(path, fmt)


def read_codes(path: str) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, rows)``: the ``umap_*`` columns (else every numeric column but
    ``row`` and ``label``) as float32, and the ``row`` column (else 0, 1, ...)."""
    path_ = Path(path).expanduser()
    data = _codes_table(path_)
    if isinstance(data, np.ndarray):
        codes, rows = data, np.arange(len(data))
    else:
        cols = map_columns(data) or [
            c for c in data.columns
            if c not in (ROW, LABEL) and data[c].dtype.kind in "biuf"]
        if not cols:
            raise CLIError(f"{path}: no numeric columns to decode (columns: {list(data.columns)})")
        codes = data[cols].to_numpy(dtype=np.float32, na_value=np.nan)
        rows = data[ROW].to_numpy() if ROW in data.columns else np.arange(len(data))
    if codes.ndim != 2 or codes.dtype.kind not in "biuf" or not len(codes):
        raise CLIError(f"{path}: codes must be a non-empty numeric matrix, "
                       f"got shape {codes.shape} of {codes.dtype}")
    codes = np.ascontiguousarray(codes, dtype=np.float32)
    bad = ~np.isfinite(codes)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise CLIError(f"{path}: NaN or inf in the codes (first at row {row}, column {col})")
    return codes, np.asarray(rows, dtype=np.int64)
