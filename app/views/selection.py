"""Selection panel: count, label histogram, up to 64 thumbnails (or 20 rows), CSV export.

A lasso over a million-point map can hold half a million rows: what the
panel shows is capped ("showing k of n"), the label names of the CSV are
looked up as an array, and the CSV is written by Arrow (~10x pandas).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import panel as pn
import param

from ..colors import color_codes
from ..html_blocks import GREY, PALETTE, as_image, bars_html, frame_html, img_tag, showing_html
from ..state import LABEL, SessionState
from ..style import html_pane
from ..table_map import follow

MAX_THUMBS = 64
#: rows of the table shown for data without images
MAX_ROWS_SHOWN = 20
#: features of each shown row
MAX_FEATURES_SHOWN = 6


def histogram(ds, selection: np.ndarray) -> list[tuple[str, int, str]]:
    """(name, count, colour) per label among the selected rows, commonest first."""
    column = LABEL if ds.labels is not None else (ds.attributes.columns[0]
                                                   if len(ds.attributes.columns) else None)
    if column is None or not len(selection):
        return []
    codes, legend = color_codes(ds, column)
    counts = np.bincount(codes[selection], minlength=len(legend) + 1)
    rows = [(legend[i][0], int(c), PALETTE[i]) for i, c in enumerate(counts[:-1]) if c]
    if counts[-1]:
        rows.append(("unlabelled", int(counts[-1]), GREY))
    return sorted(rows, key=lambda r: -r[1])


def spread(selection: np.ndarray, k: int) -> np.ndarray:
    """At most ``k`` rows of ``selection``, spread over all of it."""
    if len(selection) <= k:
        return selection
    return selection[np.linspace(0, len(selection) - 1, k).astype(np.int64)]


def rows_html(ds, selection: np.ndarray) -> str:
    """The first features of up to MAX_ROWS_SHOWN selected rows (data without images)."""
    shown = spread(selection, MAX_ROWS_SHOWN)
    names = list(getattr(ds, "feature_names", None) or [])[:MAX_FEATURES_SHOWN]
    names += [f"x{j}" for j in range(len(names), min(ds.n_features, MAX_FEATURES_SHOWN))]
    table = pd.DataFrame(np.asarray(ds.X[shown])[:, :len(names)], columns=names)
    table.insert(0, "row", shown)
    if ds.labels is not None:
        table.insert(1, "label", label_strings(ds, shown))
    return frame_html(table) + showing_html(len(shown), len(selection))


def gallery_html(ds, selection: np.ndarray, px: int = 40) -> str:
    if ds.images is None:
        return rows_html(ds, selection)
    shown = spread(selection, MAX_THUMBS)
    names = ds.label_names
    tags = []
    for i in shown:
        label = ""
        if ds.labels is not None and ds.labels[i] >= 0:
            label = names[ds.labels[i]] if names else str(ds.labels[i])
        tags.append(img_tag(as_image(ds.images[i], ds.image_shape), px, f"#{i} {label}"))
    return f'<div class="gallery">{"".join(tags)}</div>{showing_html(len(shown), len(selection))}'


def label_strings(ds, idx: np.ndarray) -> np.ndarray:
    """Label names of rows ``idx`` as one array lookup (codes where there are no names)."""
    codes = np.asarray(ds.labels)[idx]
    if not ds.label_names:
        return codes
    names = np.asarray([*map(str, ds.label_names), ""], dtype=object)
    return names[np.where(codes >= 0, codes, len(names) - 1)]


def selection_table(ds, idx: np.ndarray, frame) -> pd.DataFrame:
    """Selected rows: index, label, metadata and current latent position."""
    table = pd.DataFrame({"index": idx})
    if ds is None:
        return table
    if ds.labels is not None:
        table["label"] = label_strings(ds, idx)
    if len(ds.attributes.columns):
        attrs = ds.attributes.iloc[idx].reset_index(drop=True)
        table = pd.concat([table, attrs.add_prefix("attr_")], axis=1)
    if frame is not None and len(frame) == ds.n_samples:
        table["z0"], table["z1"] = frame.z[idx, 0], frame.z[idx, 1]
    if frame is not None and len(frame) > frame.n_train:
        table["new"] = idx >= frame.n_train  # rows placed on the map after training
    return table


class SelectionPanel(pn.viewable.Viewer):
    """What the lasso or box holds: count, labels, thumbnails, CSV."""

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.count = html_pane("<i>Draw a lasso or a box on the plot to select items.</i>",
                                  css_classes=["selection-count"], sizing_mode="stretch_width")
        self.bars = html_pane("", sizing_mode="stretch_width", css_classes=["selection-bars"])
        self.gallery = html_pane("", sizing_mode="stretch_width",
                                    css_classes=["selection-gallery"])
        self.download = pn.widgets.FileDownload(
            callback=self._csv, filename="selection.csv", label="Export selection (CSV)",
            color="primary", disabled=True, width=220)
        self.state.param.watch(self._update, ["selection"])
        follow(self.state, self._update, ("selection",))

    def _csv(self) -> io.BytesIO:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        st = self.state
        table = selection_table(st.shown, st.selection, st.frame)
        buf = io.BytesIO()
        pa_csv.write_csv(pa.Table.from_pandas(table, preserve_index=False), buf)
        buf.seek(0)
        return buf

    def _update(self, *_):
        if self.state.table is not None:
            self._update_table()
            return
        ds, sel = self.state.shown, self.state.selection
        self.download.disabled = not len(sel)
        if ds is None or not len(sel):
            self.count.object = "<i>Nothing selected.</i>"
            self.bars.object = self.gallery.object = ""
            return
        n_new = int((sel >= getattr(ds, "n_train", ds.n_samples)).sum())
        new = f' <span class="new-count">({n_new:,} new)</span>' if n_new else ""
        self.count.object = (f'<div class="count-text"><b>{len(sel):,}</b> selected of '
                             f"{ds.n_samples:,}{new}</div>")
        self.bars.object = bars_html(histogram(ds, sel))
        self.gallery.object = gallery_html(ds, sel)

    def _update_table(self) -> None:
        """An embedding table's brush: counted by Dask; no CSV (it may hold millions)."""
        from .table_panels import brush_bars_html, brush_count_html, brush_rows_html

        table = self.state.table
        brush = table.selection
        self.download.disabled = True
        self.count.object = brush_count_html(brush, table.map.n_rows)
        self.bars.object = brush_bars_html(brush)
        self.gallery.object = brush_rows_html(brush)

    def __panel__(self) -> pn.Column:
        return pn.Column(self.count, self.download, self.bars, self.gallery,
                         sizing_mode="stretch_width", name="Selection")
