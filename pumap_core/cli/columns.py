"""The layout of the tables the command line writes and reads back.

``transform`` writes one row per input row: ``row`` (its position in DATA,
from 0), ``umap_0``, ``umap_1``, ... (the map coordinates), ``label`` (integer
code, -1 unlabelled) and ``label_name`` when the data have labels, then the
data's attribute columns (renamed ``attr_<name>`` if a name is taken).
``inverse`` reads the ``umap_*`` columns back and writes ``x0``, ``x1``, ...
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

ROW = "row"
MAP_PREFIX = "umap_"
DATA_PREFIX = "x"
LABEL = "label"
LABEL_NAME = "label_name"
_MAP_COLUMN = re.compile(re.escape(MAP_PREFIX) + r"(\d+)")


def embedding_frame(
    Z: np.ndarray,
    start: int = 0,
    labels: np.ndarray | None = None,
    label_names: list[str] | None = None,
    attributes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The output rows for embeddings ``Z`` of input rows ``start, start + 1, ...``.

    Both the in-process and the Dask transform build their tables here, so the
    two write the same columns with the same types.
    """
    n = len(Z)
    columns: dict[str, Any] = {ROW: np.arange(start, start + n, dtype=np.int64)}
    for j in range(Z.shape[1]):
        columns[f"{MAP_PREFIX}{j}"] = np.asarray(Z[:, j], dtype=np.float32)
    if labels is not None:
        codes = np.asarray(labels, dtype=np.int64)
        columns[LABEL] = codes
        if label_names is not None:
            names = np.asarray(list(label_names) + [None], dtype=object)  # -1 -> None
            # a string dtype, not object: Dask would otherwise sample data to type the column
            columns[LABEL_NAME] = pd.array(names[np.where(codes >= 0, codes, len(names) - 1)],
                                           dtype="string")
    frame = pd.DataFrame(columns)
    if attributes is None or not len(attributes.columns):
        return frame
    extra = attributes.reset_index(drop=True)
    renamed = {}
    for c in extra.columns:
        name = str(c)
        while name in frame.columns or name in renamed.values():
            name = f"attr_{name}"
        renamed[c] = name
    return pd.concat([frame, extra.rename(columns=renamed)], axis=1)


def map_columns(table: pd.DataFrame) -> list[str]:
    """The ``umap_*`` columns of a table in numeric order (``umap_2`` before ``umap_10``)."""
    found = [(int(m.group(1)), c) for c in table.columns
             if isinstance(c, str) and (m := _MAP_COLUMN.fullmatch(c))]
    return [c for _, c in sorted(found)]


def decoded_frame(rows: np.ndarray, X: np.ndarray) -> pd.DataFrame:
    """Decoded data as a table: ``row``, then ``x0, x1, ...`` (images flattened)."""
    flat = X.reshape(len(X), -1)
    frame = pd.DataFrame(flat, columns=[f"{DATA_PREFIX}{j}" for j in range(flat.shape[1])])
    frame.insert(0, ROW, np.asarray(rows, dtype=np.int64))
    return frame
