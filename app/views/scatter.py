"""The live scatter: frame → datashader image (off the event loop) → Pipe → DynamicMap of RGB.

Frames arrive through :attr:`SessionState.frame`, set by the state's
periodic poll, which runs in the session's callback thread; the image is
shaded right there (see :mod:`app.views.shading`) and only the finished RGB
goes through the ``hv.streams.Pipe``, so the event loop stays free for
clicks. Zooming and panning (RangeXY, PlotSize) re-aggregate at the new
resolution. Selected rows are drawn on top in their colours while the rest
turn grey. Lasso / box selections, taps and the pointer go back to the
state's actions in plot coordinates.
"""

from __future__ import annotations

import html
import threading

import holoviews as hv
import numpy as np
import panel as pn
import param

from ..colors import NEW, NEW_COLOR
from ..frame import EXTENT
from ..html_blocks import legend_html
from ..label_colors import view_colors
from ..state import SessionState
from ..state_labels import PREDICTED, YOURS
from ..style import html_pane
from ..table_map import follow
from .dispatch import DocumentOutbox
from .shading import shade_frame, shade_table

HOME = (-EXTENT, EXTENT)


def _blank(x_range=HOME, y_range=HOME) -> hv.RGB:
    return hv.RGB(np.zeros((2, 2, 4), np.uint8), bounds=(x_range[0], y_range[0], x_range[1],
                                                        y_range[1]))


def _identity(data: hv.RGB) -> hv.RGB:
    return data


def _marker(data) -> hv.Points:
    """A ring where the person clicked (empty list: no click)."""
    return hv.Points(data, kdims=["x", "y"]).opts(
        marker="circle", size=16, fill_alpha=0, line_color="black", line_width=2.5)


def hint_text(phase: str, frame, preview, dataset, loading: str, table=None, plan=None) -> str:
    """What the plot is waiting for, said above it while it has no embedding (with how
    long a default run is expected to take, once the run plan has measured it)."""
    if frame is not None or (table is not None and not loading):
        return ""
    if loading:
        text = f"Loading {html.escape(loading)} …"
    elif dataset is None:
        text = "No data yet: choose a data set or open a file."
    elif phase in ("training", "paused"):
        text = "Training: the map appears with the first snapshot."
    else:
        text = (f"Press <b>Train</b> to embed {html.escape(dataset.name)} "
                f"({dataset.n_samples:,} items).")
        if plan is not None:
            text += (f' <span class="expected-time">A default run takes '
                     f"{html.escape(plan.describe())} here.</span>")
        if preview is not None:
            text += " Meanwhile: a PCA preview."
    return f'<div class="hint-text">{text}</div>'


class ScatterView(pn.viewable.Viewer):
    """The map: the newest frame shaded by datashader, with lasso, box, tap and hover."""

    state = param.ClassSelector(class_=SessionState)
    height = param.Integer(default=560)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        state, height = self.state, self.height
        self.pipe = hv.streams.Pipe(data=_blank())
        self._codes: np.ndarray | None = None
        self._opacity: np.ndarray | None = None
        self._slots = 1
        self._lock = threading.Lock()
        self.outbox = DocumentOutbox()  # the session's document, changed on its own tick
        self.frames_sent = 0
        self.last_image: np.ndarray | None = None
        self.dmap = hv.DynamicMap(_identity, streams=[self.pipe]).opts(
            tools=["lasso_select", "box_select", "tap"], active_tools=["lasso_select", "wheel_zoom"],
            default_tools=["pan", "wheel_zoom", "box_zoom", "reset", "save"],
            xaxis=None, yaxis=None, responsive=True, height=height, xlim=HOME, ylim=HOME,
            toolbar="above", show_legend=False)
        self.marker = hv.streams.Pipe(data=[])
        self.plot = self.dmap * hv.DynamicMap(_marker, streams=[self.marker])
        self.ranges = hv.streams.RangeXY(source=self.dmap)
        self.size = hv.streams.PlotSize(source=self.dmap)
        self.lasso = hv.streams.Lasso(source=self.dmap)
        self.bounds = hv.streams.BoundsXY(source=self.dmap)
        self.tap = hv.streams.Tap(source=self.dmap, x=None, y=None)
        self.pointer = hv.streams.PointerXY(source=self.dmap, x=None, y=None)
        self.ranges.add_subscriber(self._on_view)
        self.size.add_subscriber(self._on_view)
        self.lasso.add_subscriber(self._on_lasso)
        self.bounds.add_subscriber(self._on_bounds)
        self.tap.add_subscriber(self._on_tap)
        self.pointer.add_subscriber(self._on_pointer)
        self.legend = html_pane("", css_classes=["legend-pane"], sizing_mode="stretch_width")
        self.pane = pn.pane.HoloViews(self.plot, sizing_mode="stretch_width", height=height,
                                      css_classes=["scatter-pane"], linked_axes=False)
        state.param.watch(self._on_change, ["frame", "selection", "preview"])
        state.param.watch(self._on_color, ["color_by", "added"])
        state.param.watch(self._on_labels, ["labels", "predictions"])
        state.param.watch(self._on_click, ["click"])
        follow(state, self._on_color, ("selection",))
        follow(state, self._on_click, ("click",))
        self.hint = html_pane(pn.bind(hint_text, state.param.phase, state.param.frame,
                                      state.param.preview, state.param.dataset,
                                      state.param.loading, state.param.table, state.param.plan),
                              css_classes=["plot-hint"], sizing_mode="stretch_width")

    # -- state -> plot ------------------------------------------------------
    def _recolor(self) -> None:
        table = self.state.table
        if table is not None:
            count = f'<span class="map-rows">{table.map.n_rows:,} rows</span>'
            self.legend.object = legend_html(table.map.legend()) + count
            return
        data = self.state.dataset
        if data is None:
            self._codes, self.legend.object = None, ""
            return
        self._codes, items, self._slots, self._opacity = view_colors(self.state)
        added = self.state.added
        if added is not None:
            items = [*items, (f"new: {added.dataset.name} ({added.n:,})", NEW_COLOR)]
        self.legend.object = legend_html(items)

    def _on_color(self, *_):
        self._recolor()
        self.render()

    def _on_labels(self, *_):
        if self.state.color_by in (PREDICTED, YOURS):
            self._on_color()

    def _on_click(self, *_):
        self._send_ring()

    def _send_ring(self) -> None:
        ring = self._ring()
        self.outbox.send("ring", lambda: self.marker.send(ring))

    def _ring(self) -> list[tuple[float, float]]:
        """Where the click ring goes: on the clicked item as the map moves under it (a
        click on empty space stays where it was)."""
        table = self.state.table
        c = self.state.click if table is None else table.click
        if c is None:
            return []
        frame = self.state.frame
        if table is None and getattr(c, "on_point", False) and frame is not None \
                and 0 <= c.nearest < len(frame):
            x, y = frame.xy[c.nearest]
            return [(float(x), float(y))]
        return [(c.x, c.y)]

    def _target(self):
        """Who answers brushes and clicks: the opened embedding table, else the session."""
        return self.state.table if self.state.table is not None else self.state

    def _on_change(self, *_):
        self.render()
        if self.state.click is not None and getattr(self.state.click, "on_point", False):
            self._send_ring()

    def _on_view(self, **_):
        self.render()

    def _view(self):
        x_range = self.ranges.x_range or HOME
        y_range = self.ranges.y_range or HOME
        width = self.size.width or int(self.height * 1.2)  # until the browser reports its size
        height = self.size.height or self.height
        return x_range, y_range, int(width * (self.size.scale or 1)), int(height * (self.size.scale or 1))

    def render(self) -> None:
        """Shade the current frame (or the PCA preview) for the current view and push it."""
        frame, selection = self.state.frame, self.state.selection
        x_range, y_range, width, height = self._view()
        if self.state.table is not None:
            self._send(self._shade_table(x_range, y_range, width, height), x_range, y_range)
            return
        if frame is None:
            frame, selection = self.state.preview, np.zeros(0, np.int64)
        if frame is None:
            self.last_image = None
            blank = _blank(x_range, y_range)
            self.outbox.send("frame", lambda: self.pipe.send(blank))
            return
        with self._lock:
            if self._codes is None or len(self._codes) != frame.n_train:
                self._recolor()
            codes = self._codes
            if codes is None or len(codes) != frame.n_train:
                codes = np.zeros(frame.n_train, np.int64)
            if len(frame) > frame.n_train:
                codes = np.concatenate([codes, np.full(len(frame) - frame.n_train, NEW)])
            selection = selection[selection < len(frame)] if len(selection) else None
            opacity = self._opacity if self._opacity is not None \
                and len(self._opacity) == frame.n_train else None
            image = shade_frame(frame.xy, codes, self._slots, selection, x_range, y_range,
                                width, height, n_base=frame.n_train, opacity=opacity)
            self._send(image, x_range, y_range)

    def _shade_table(self, x_range, y_range, width: int, height: int) -> np.ndarray:
        table = self.state.table
        with self._lock:
            return shade_table(table.map, x_range, y_range, width, height,
                               None if table.selection is None else table.selection.shape)

    def _send(self, image: np.ndarray, x_range, y_range) -> None:
        self.last_image = image
        bounds = (x_range[0], y_range[0], x_range[1], y_range[1])
        rgb = hv.RGB(image[::-1], bounds=bounds)
        self.outbox.send("frame", lambda: self.pipe.send(rgb))
        self.frames_sent += 1

    # -- plot -> state ---------------------------------------------------
    def _on_lasso(self, geometry=None, **_):
        if geometry is not None and len(geometry) >= 3:
            g = np.asarray(geometry)
            self._target().select_polygon(g[:, 0], g[:, 1])

    def _on_bounds(self, bounds=None, **_):
        if bounds is not None:
            self._target().select_box(*bounds)

    def _on_tap(self, x=None, y=None, **_):
        if x is not None and y is not None:
            self._target().click_at(x, y)

    def _on_pointer(self, x=None, y=None, **_):
        self._target().hover_at(x, y)

    def __panel__(self) -> pn.viewable.Viewable:
        clear = pn.widgets.Button(label="Clear selection", color="light", width=130)
        clear.on_click(lambda _: self._target().clear_selection())
        return pn.Column(self.hint, self.pane,
                         pn.Row(self.legend, clear, sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")
