"""Selection panel: count, label histogram, up to 64 thumbnails, CSV export."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import panel as pn
import param

from ..colors import color_codes
from ..html_blocks import GREY, PALETTE, as_image, bars_html, img_tag
from ..state import LABEL, SessionState
from ..style import html_pane

MAX_THUMBS = 64


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


def gallery_html(ds, selection: np.ndarray, px: int = 40) -> str:
    if ds.images is None:
        return "<i>This data set has no images; export the selection to see its rows.</i>"
    shown = selection
    if len(selection) > MAX_THUMBS:  # spread over the whole selection
        shown = selection[np.linspace(0, len(selection) - 1, MAX_THUMBS).astype(np.int64)]
    names = ds.label_names
    tags = []
    for i in shown:
        label = ""
        if ds.labels is not None and ds.labels[i] >= 0:
            label = names[ds.labels[i]] if names else str(ds.labels[i])
        tags.append(img_tag(as_image(ds.images[i], ds.image_shape), px, f"#{i} {label}"))
    more = (f'<div class="muted">showing {len(shown)} of {len(selection):,}</div>'
            if len(selection) > len(shown) else "")
    return f'<div class="gallery">{"".join(tags)}</div>{more}'


def selection_table(ds, idx: np.ndarray, frame) -> pd.DataFrame:
    """Selected rows: index, label, metadata and current latent position."""
    table = pd.DataFrame({"index": idx})
    if ds is None:
        return table
    if ds.labels is not None:
        codes = ds.labels[idx]
        table["label"] = [ds.label_names[c] if ds.label_names and c >= 0 else c for c in codes]
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

    def _csv(self):
        buf = io.StringIO()
        st = self.state
        selection_table(st.shown, st.selection, st.frame).to_csv(buf, index=False)
        buf.seek(0)
        return buf

    def _update(self, *_):
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

    def __panel__(self) -> pn.Column:
        return pn.Column(self.count, self.download, self.bars, self.gallery,
                         sizing_mode="stretch_width", name="Selection")
