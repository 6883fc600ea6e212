"""DaskMap: a map straight from an embedding table (``umap_0``/``umap_1`` Parquet), never loaded whole.

The command line's ``transform`` writes one Parquet file or a folder of parts
with columns ``row``, ``umap_0``, ``umap_1``, …, ``label``/``label_name`` when
the data have labels, then attributes. Such a table needs no model and no
training: it is read lazily with ``dask.dataframe.read_parquet``, framed once
(robust extent, row count and label categories in one pass), and every view
is a datashader aggregate over the partitions. Brushes and clicks are reduced
per partition too: counts and a few rows come back, never the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .frame import points_in_polygon
from .html_blocks import GREY, PALETTE

X, Y = "umap_0", "umap_1"
#: the colour column every partition gets (categorical, categories known up front)
CAT = "_category"
UNLABELLED = "unlabelled"
REST = "_rest"  # brushed maps: rows outside the brush
#: selected rows returned by a brush
MAX_ROWS_SHOWN = 30
INSTALL = "Maps of Parquet embedding tables need Dask: pip install 'pumap-core[scale]'"


def _dask():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as e:  # the app itself runs without it
        raise RuntimeError(INSTALL) from e
    return dask, dd


def parquet_files(source: str | Path) -> list[Path]:
    path = Path(source).expanduser()
    if path.is_file():
        return [path] if path.suffix in (".parquet", ".pq") else []
    return sorted(path.glob("*.parquet")) if path.is_dir() else []


def is_embedding_table(source: str | Path) -> bool:
    """A Parquet file or folder of parts whose schema has ``umap_0`` and ``umap_1``."""
    files = parquet_files(source)
    if not files:
        return False
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(files[0]).names
    except (OSError, ValueError):
        return False
    return X in names and Y in names


@dataclass
class Brush:
    """What a box or lasso holds: how many rows, by label, and the first few of them."""

    shape: tuple  # ("box", x0, x1, y0, y1) or ("polygon", xs, ys), map coordinates
    count: int
    counts: list[tuple[str, int, str]]  # (label, count, colour), commonest first
    rows: pd.DataFrame = field(repr=False)


@dataclass
class Picked:
    """The row nearest to a click."""

    x: float  # plot coordinates of the click
    y: float
    distance: float  # plot units
    row: pd.Series = field(repr=False)


def categorise(df: pd.DataFrame, label: str | None, categories: list[str],
               codes: dict[int, str] | None, shape: tuple | None = None) -> pd.DataFrame:
    """``df`` with its colour column: label names as known categories (``REST`` outside
    ``shape``). Runs on each partition, so the categories never need a gather; it works on
    integer codes (no strings per row: ~10x faster on a 100k-row part)."""
    n_cat = len(categories)  # then UNLABELLED (n_cat), then REST (n_cat + 1)
    if label is None:
        cat = np.zeros(len(df), np.int16)
    elif codes is not None:
        keys = np.fromiter(codes, np.int64, len(codes))
        lut = np.full(int(keys.max(initial=0)) + 2, n_cat, np.int16)  # last entry: unknown
        lut[keys] = np.arange(len(keys))
        v = df[label].to_numpy(np.float64, na_value=-1)
        v = np.where((v >= 0) & (v < len(lut) - 1), v, len(lut) - 1).astype(np.int64)
        cat = lut[v]
    else:
        cat = pd.Categorical(df[label], categories=categories).codes.astype(np.int16)
        cat[cat < 0] = n_cat
    if shape is not None:
        cat = np.where(inside(df, shape), cat, n_cat + 1).astype(np.int16)
    dtype = pd.CategoricalDtype([*categories, UNLABELLED, REST])
    return df.assign(**{CAT: pd.Categorical.from_codes(cat, dtype=dtype)})


def inside(df: pd.DataFrame, shape: tuple) -> np.ndarray:
    """Boolean mask of the rows of ``df`` inside a box or polygon (map coordinates)."""
    x, y = df[X].to_numpy(np.float64), df[Y].to_numpy(np.float64)
    if shape[0] == "box":
        _, x0, x1, y0, y1 = shape
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    _, xs, ys = shape
    return points_in_polygon(np.column_stack([x, y]), np.asarray(xs, np.float64),
                             np.asarray(ys, np.float64))


class DaskMap:
    """An embedding table on Dask: frame, shade, brush and click without loading it."""

    def __init__(self, ddf, name: str, center: np.ndarray, scale: float, n_rows: int,
                 label: str | None, categories: list[str], codes: dict[int, str] | None) -> None:
        self.ddf, self.name, self.n_rows = ddf, name, n_rows
        self.center, self.scale = np.asarray(center, np.float64), float(scale)
        self.label, self.categories, self.codes = label, categories, codes
        columns = [X, Y] + ([label] if label else [])
        self.points = ddf[columns]

    @classmethod
    def open(cls, source: str | Path) -> DaskMap:
        """Read the schema, then one pass for the extent, the row count and the labels."""
        dask, dd = _dask()
        ddf = dd.read_parquet(str(Path(source).expanduser()))
        label = next((c for c in ("label_name", "label") if c in ddf.columns), None)
        keys = [c for c in ("label", "label_name") if c in ddf.columns]
        q = [0.005, 0.995]
        todo = [ddf[X].quantile(q), ddf[Y].quantile(q), ddf.map_partitions(len).sum()]
        if keys:
            todo.append(ddf[keys].drop_duplicates())
        qx, qy, n, *pairs = dask.compute(*todo)
        lo = np.array([qx.iloc[0], qy.iloc[0]])
        hi = np.array([qx.iloc[1], qy.iloc[1]])
        categories, codes = _categories(pairs[0] if pairs else None, label)
        return cls(ddf, Path(source).name, (lo + hi) / 2, max((hi - lo).max() / 2, 1e-6), int(n),
                   label, categories, codes)

    # -- coordinates --------------------------------------------------------
    def to_map(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Plot coordinates (the scatter's fixed box) -> the table's map coordinates."""
        return (np.asarray(x, np.float64) * self.scale + self.center[0],
                np.asarray(y, np.float64) * self.scale + self.center[1])

    def legend(self) -> list[tuple[str, str]]:
        return [(c, self.color_key()[c]) for c in self.categories]

    def color_key(self) -> dict[str, str]:
        key = {c: PALETTE[i] if i < len(PALETTE) else GREY for i, c in enumerate(self.categories)}
        return {**key, UNLABELLED: GREY, REST: GREY}

    # -- views ----------------------------------------------------------------
    def partitions(self, shape: tuple | None = None):
        """The table, with its colour column (``REST`` outside ``shape``), as Dask knows it."""
        meta = categorise(self.points._meta, self.label, self.categories, self.codes)
        return self.points.map_partitions(categorise, self.label, self.categories, self.codes, shape,
                                       meta=meta)

    def brush_box(self, x0: float, y0: float, x1: float, y1: float) -> Brush:
        (a, b), (c, d) = self.to_map([x0, x1], [y0, y1])
        return self.brush(("box", min(a, b), max(a, b), min(c, d), max(c, d)))

    def brush_polygon(self, xs, ys) -> Brush:
        mx, my = self.to_map(xs, ys)
        return self.brush(("polygon", tuple(mx), tuple(my)))

    def brush(self, shape: tuple) -> Brush:
        """Count and label breakdown inside ``shape``, reduced per partition."""
        dask, _ = _dask()
        part = dask.delayed(_brush_part)
        results = dask.compute(*[part(p, shape, self.label, self.categories, self.codes)
                                 for p in self.ddf.to_delayed()])
        counts = sum((r[0] for r in results), np.zeros(len(self.categories) + 1, np.int64))
        rows = pd.concat([r[1] for r in results], ignore_index=True).head(MAX_ROWS_SHOWN)
        key = self.color_key()
        names = [*self.categories, UNLABELLED]
        bars = sorted(((names[i], int(c), key[names[i]]) for i, c in enumerate(counts) if c),
                      key=lambda r: -r[1])
        return Brush(shape=shape, count=int(counts.sum()), counts=bars, rows=rows)

    def nearest(self, x: float, y: float) -> Picked | None:
        """The row nearest to plot point (x, y): each partition's nearest, then the nearest."""
        dask, _ = _dask()
        mx, my = self.to_map(x, y)
        part = dask.delayed(_nearest_part)
        found = [r for r in dask.compute(*[part(p, float(mx), float(my))
                                           for p in self.ddf.to_delayed()]) if r is not None]
        if not found:
            return None
        d, row = min(found, key=lambda r: r[0])
        return Picked(x=float(x), y=float(y), distance=d / self.scale, row=row)


def _categories(pairs: pd.DataFrame | None, label: str | None
                ) -> tuple[list[str], dict[int, str] | None]:
    """Category names (in label-code order when there are codes), and code -> name when
    the colour comes from integer codes alone."""
    if pairs is None or label is None:
        return ["all"], None
    if "label" in pairs.columns:
        pairs = pairs[pairs["label"].notna() & (pairs["label"] >= 0)].sort_values("label")
    if label == "label_name":
        return list(dict.fromkeys(pairs["label_name"].dropna().astype(str))), None
    codes = {int(c): str(int(c)) for c in pairs["label"]}
    return list(codes.values()), codes


def _brush_part(df: pd.DataFrame, shape: tuple, label, categories, codes):
    chosen = categorise(df[inside(df, shape)], label, categories, codes)
    counts = np.bincount(chosen[CAT].cat.codes.to_numpy(), minlength=len(categories) + 1)
    return counts[: len(categories) + 1], chosen.drop(columns=CAT).head(MAX_ROWS_SHOWN)


def _nearest_part(df: pd.DataFrame, x: float, y: float):
    if not len(df):
        return None
    d = np.hypot(df[X].to_numpy(np.float64) - x, df[Y].to_numpy(np.float64) - y)
    i = int(np.argmin(d))
    return float(d[i]), df.iloc[i]
