"""Small HTML building blocks: images as data URIs, thumbnails, swatches, bars."""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: 20 distinct colours (Category10 with its grey swapped out, then the light tones);
#: grey is reserved for "not selected / other".
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#393b79", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
           "#c5b0d5", "#c49c94", "#f7b6d2", "#637939", "#dbdb8d", "#9edae5")
GREY = "#c8c8c8"


def as_image(row: np.ndarray, image_shape) -> np.ndarray | None:
    """A uint8 image from a stored image, a flat row in [0, 1], or None if not an image."""
    a = np.asarray(row)
    if image_shape is None:
        return None
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float32)), 0.0, 1.0) * 255.0
        a = np.round(a).astype(np.uint8)
    a = a.reshape(image_shape)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    return a


def png_uri(image: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def img_tag(image: np.ndarray | None, px: int, title: str = "", cls: str = "thumb") -> str:
    if image is None:
        return ""
    return (f'<img class="{cls}" src="{png_uri(image)}" width="{px}" height="{px}" '
            f'title="{html.escape(title)}" style="image-rendering:pixelated;object-fit:contain">')


def row_table(values: np.ndarray, names=None, limit: int = 12) -> str:
    """A flat (non-image) row as a small table of its first ``limit`` features."""
    v = np.asarray(values).ravel()[:limit]
    names = list(names)[:limit] if names is not None else [f"x{i}" for i in range(len(v))]
    cells = "".join(f"<tr><td>{html.escape(str(n))}</td><td>{x:.3g}</td></tr>"
                    for n, x in zip(names, v, strict=False))
    return f'<table class="row-table">{cells}</table>'


def legend_html(items: list[tuple[str, str]]) -> str:
    spans = "".join(
        f'<span class="legend-item"><span class="swatch" style="background:{c}"></span>'
        f"{html.escape(str(name))}</span>" for name, c in items)
    return f'<div class="legend">{spans}</div>'


def bars_html(counts: list[tuple[str, int, str]]) -> str:
    """A horizontal bar chart: (name, count, colour) rows."""
    if not counts:
        return ""
    top = max(c for _, c, _ in counts) or 1
    rows = "".join(
        f'<div class="bar-row"><span class="bar-name">{html.escape(str(n))}</span>'
        f'<span class="bar" style="width:{100 * c / top:.1f}%;background:{col}"></span>'
        f'<span class="bar-count">{c:,}</span></div>' for n, c, col in counts)
    return f'<div class="bars">{rows}</div>'


def showing_html(k: int, n: int) -> str:
    """A note under a capped list: which part of the rows it shows."""
    return f'<div class="muted showing">showing {k} of {n:,}</div>' if n > k else ""


def frame_html(table: pd.DataFrame) -> str:
    """A small table of selected rows."""
    return table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0,
                         classes="row-table selection-rows")
