"""What the Selection and Click tabs show for an embedding-table map (app.dask_map)."""

from __future__ import annotations

import html

from ..dask_map import Brush, Picked
from ..html_blocks import bars_html, frame_html, showing_html


def brush_count_html(brush: Brush | None, n_rows: int) -> str:
    if brush is None:
        return "<i>Nothing selected.</i>"
    return f'<div class="count-text"><b>{brush.count:,}</b> selected of {n_rows:,}</div>'


def brush_rows_html(brush: Brush | None) -> str:
    if brush is None or not brush.count:
        return ""
    return frame_html(brush.rows) + showing_html(len(brush.rows), brush.count)


def brush_bars_html(brush: Brush | None) -> str:
    return "" if brush is None else bars_html(brush.counts)


def picked_html(picked: Picked | None) -> str:
    """The row nearest to the click, all its columns."""
    if picked is None:
        return "<i>Click the plot to see the row nearest to that place.</i>"
    row = picked.row
    title = f"row {row['row']:,}" if "row" in row.index else "nearest row"
    cells = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_fmt(v))}</td></tr>"
                    for k, v in row.items())
    return (f'<div class="picked-row"><b>{html.escape(title)}</b> '
            f'<span class="muted">(no model: this map is a table)</span>'
            f'<table class="row-table">{cells}</table></div>')


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
