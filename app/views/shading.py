"""Datashader rendering of one frame: aggregate (count_cat) → shade → dynspread → stack.

The colours are mixed by :mod:`app.views.colorize` (tf.shade's categorical
path costs ~0.5 s a frame at 800 × 600). A pure function of arrays, so the
scatter can run it in the session's own callback thread. HoloViews' ``datashade`` operation would run the same work
on the server's event loop (a Pipe sent from a pool thread is refreshed there),
where ~0.1–0.3 s per frame would stall every click, lasso and button.
"""

from __future__ import annotations

import threading

import datashader as ds
import datashader.transfer_functions as tf
import numpy as np

from ..colors import COLOR_KEY, frame_table
from .colorize import shade_categories

MIN_ALPHA = 160
#: points drawn at least (2·px + 1) pixels wide while they are this sparse (points per
#: pixel of the canvas): a formed map of a few thousand points is not a cloud of 1-px dots
MIN_SPREAD = ((0.002, 2), (0.02, 1))
_warm = threading.Event()


def min_spread(n_points: int, width: int, height: int) -> int:
    """Pixels every point is spread by, whatever its neighbourhood's density."""
    density = n_points / max(width * height, 1)
    return next((px for limit, px in MIN_SPREAD if density <= limit), 0)


def _shade(df, canvas: ds.Canvas, threshold: float, max_px: int):
    agg = canvas.points(df, "x", "y", ds.count_cat("c"))
    # rows' opacities (confidence) averaged per pixel scale its alpha
    opacity = canvas.points(df, "x", "y", ds.mean("o")).data if "o" in df else None
    img = shade_categories(agg, COLOR_KEY, MIN_ALPHA, opacity)
    px = min_spread(len(df), canvas.plot_width, canvas.plot_height)
    if px:
        img = tf.spread(img, px=px)
    return tf.dynspread(img, threshold=threshold, max_px=max_px)


def shade_frame(xy: np.ndarray, codes: np.ndarray, n_slots: int, selection: np.ndarray | None,
                x_range: tuple[float, float], y_range: tuple[float, float],
                width: int, height: int, n_base: int | None = None,
                opacity: np.ndarray | None = None) -> np.ndarray:
    """An (height, width, 4) uint8 RGBA image of the points; row 0 is y_range[0] (the bottom).

    Rows from ``n_base`` on (new rows placed on the map) are drawn on top of the
    others. With a non-empty ``selection`` the other points are grey and the
    selected ones are shaded in their colours on top of everything. ``opacity``
    (0..1 for the first rows, e.g. the classifier's confidence) fades rows.
    """
    width, height = max(int(width), 8), max(int(height), 8)
    canvas = ds.Canvas(plot_width=width, plot_height=height, x_range=tuple(x_range),
                       y_range=tuple(y_range))
    has = selection is not None and len(selection) > 0
    n_base = len(xy) if n_base is None else n_base
    if opacity is not None:
        opacity = np.concatenate([opacity, np.ones(len(xy) - len(opacity))])[:len(xy)]

    def table(rows, grey: bool = False):
        df = frame_table(xy[rows], codes[rows], n_slots, grey=grey)
        if opacity is not None and not grey:
            df["o"] = opacity[rows]
        return df

    img = _shade(table(slice(0, n_base), has), canvas, 0.6, 2)
    if n_base < len(xy):
        top = _shade(table(slice(n_base, len(xy)), has), canvas, 0.8, 3)
        img = tf.stack(img, top)
    if has:
        top = _shade(table(selection), canvas, 0.9, 3)
        img = tf.stack(img, top)
    return np.ascontiguousarray(img.to_numpy()).view(np.uint8).reshape(height, width, 4)


def shade_table(table, x_range, y_range, width: int, height: int,
                shape: tuple | None = None) -> np.ndarray:
    """:func:`shade_frame` for an :class:`app.dask_map.DaskMap`: one aggregate over its
    partitions; with a brush ``shape`` the rows outside are grey, those inside on top."""
    from ..dask_map import CAT, REST, X, Y

    width, height = max(int(width), 8), max(int(height), 8)
    lx, ly = table.to_map(x_range, y_range)
    canvas = ds.Canvas(plot_width=width, plot_height=height, x_range=tuple(lx),
                       y_range=tuple(ly))
    agg = canvas.points(table.partitions(shape), X, Y, ds.count_cat(CAT))
    key = table.color_key()

    def layer(sub, threshold: float, max_px: int):
        img = shade_categories(sub, key, MIN_ALPHA)
        return tf.dynspread(img, threshold=threshold, max_px=max_px)

    labels = [c for c in agg.coords[CAT].values if c != REST]
    img = layer(agg.sel({CAT: labels}), 0.6, 2)
    if shape is not None:
        img = tf.stack(layer(agg.sel({CAT: [REST]}), 0.6, 2), layer(agg.sel({CAT: labels}), 0.9, 3))
    return np.ascontiguousarray(img.to_numpy()).view(np.uint8).reshape(height, width, 4)


def warm_up() -> None:
    """Pay datashader's numba compilation (seconds) once per process, not on the first frame."""
    if _warm.is_set():
        return
    _warm.set()
    xy = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    codes = np.arange(200) % 11
    box = (-1.5, 1.5)  # float ranges: integer ones compile a different specialisation
    for selection in (None, np.arange(50)):
        shade_frame(xy, codes, 10, selection, box, box, 64, 48, n_base=150)
    shade_frame(xy, codes, 10, None, box, box, 64, 48, opacity=np.linspace(0.2, 1.0, 200))
