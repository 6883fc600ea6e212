"""Colour by label or metadata: every column becomes at most 20 categories.

Rows get codes 0..19 (a palette slot) or :data:`REST` (grey: unlabelled,
"other", or not selected). The category names are fixed, so the datashader
colour key never changes; the legend says what each slot means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .html_blocks import GREY, PALETTE

#: Colour-by choice that means "the data set's labels".
LABEL = "label"
N_SLOTS = len(PALETTE)
REST = N_SLOTS
NEW = N_SLOTS + 1  # rows placed on a trained map (app.added)
NEW_COLOR = "#111111"
CATEGORIES = [f"c{i}" for i in range(N_SLOTS)] + ["rest", "new"]
COLOR_KEY = {**{f"c{i}": c for i, c in enumerate(PALETTE)}, "rest": GREY, "new": NEW_COLOR}
N_BINS = 8  # numeric columns with many values are cut into quantile bins
#: the colour-by choice for data without labels, first one present
PREFERRED = ("Smiling", "Male", "Eyeglasses")


def default_color_by(columns: list[str]) -> str:
    """Labels when there are any, else a telling attribute, else the first column."""
    if LABEL in columns:
        return LABEL
    return next((c for c in PREFERRED if c in columns), columns[0])


def _is_yes_no(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return True
    return pd.api.types.is_numeric_dtype(s) and set(s.dropna().unique()) <= {0, 1}


def _from_values(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes for arbitrary values: the 19 commonest get slots, the rest 'other'."""
    codes, uniques = pd.factorize(values, sort=True)
    names = [str(u) for u in uniques]
    if len(names) <= N_SLOTS:
        return np.where(codes < 0, REST, codes), names
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    keep = np.argsort(-counts, kind="stable")[: N_SLOTS - 1]
    remap = np.full(len(names) + 1, N_SLOTS - 1)
    remap[keep] = np.arange(len(keep))
    new = np.where(codes < 0, REST, remap[codes])
    return new, [names[k] for k in keep] + ["other"]


def color_codes(ds, column: str) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Codes (n,) in 0..REST and the legend [(name, colour)] for ``column``."""
    n = ds.n_samples
    if column == LABEL and ds.labels is not None:
        labels = ds.labels
        k = int(labels.max()) + 1 if len(labels) else 0
        names = list(ds.label_names or [str(i) for i in range(k)])
        if k <= N_SLOTS:
            codes = np.where(labels < 0, REST, labels)
        else:
            codes, names = _from_values(pd.Series(np.where(labels < 0, np.nan, labels)))
            label_names = ds.label_names
            if label_names:
                names = [label_names[int(float(v))] if v != "other" else v for v in names]
    elif column in ds.attributes.columns:
        s = ds.attributes[column]
        if _is_yes_no(s):
            yes = s.to_numpy().astype(bool)
            codes = np.where(s.isna().to_numpy(), REST, yes.astype(np.int64))
            names = [f"{column}: no", f"{column}: yes"]
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) \
                and s.nunique() > 12:
            binned = pd.qcut(s, N_BINS, duplicates="drop")
            codes, names = _from_values(binned.astype(str).where(binned.notna()))
            order = {str(iv): i for i, iv in enumerate(binned.cat.categories)}
            perm = np.argsort([order.get(nm, 99) for nm in names])
            inverse = np.empty(len(perm) + 1, np.int64)
            inverse[perm] = np.arange(len(perm))
            inverse[-1] = REST
            codes = inverse[np.where(codes == REST, -1, codes)]
            names = [names[p] for p in perm]
        else:
            codes, names = _from_values(s)
    else:
        return np.full(n, 0, np.int64), [("all", PALETTE[0])]
    return np.asarray(codes, np.int64), [(nm, PALETTE[i]) for i, nm in enumerate(names)]


def frame_table(xy: np.ndarray, codes: np.ndarray, n_slots: int = N_SLOTS,
                grey: bool = False) -> pd.DataFrame:
    """The DataFrame the scatter's Pipe carries.

    Only the ``n_slots`` colours in use (plus grey) become categories:
    datashader's categorical shading costs time per category.
    """
    n_slots = int(min(max(n_slots, 0), N_SLOTS))
    codes = np.asarray(codes)
    if grey:
        c = np.full(len(codes), n_slots, np.int64)
    else:
        c = np.where(codes >= n_slots, n_slots, codes)
        c[codes == NEW] = n_slots + 1
    categories = CATEGORIES[:n_slots] + [CATEGORIES[REST], CATEGORIES[NEW]]
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1],
                         "c": pd.Categorical.from_codes(c, categories)})
