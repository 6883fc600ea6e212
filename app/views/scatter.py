"""The live scatter: Pipe → DynamicMap of Points → datashade(count_cat) → dynspread.

Frames arrive through :attr:`AppState.frame` (set by the controller's
periodic poll); only the newest one is ever sent. Selected rows are drawn on
top in their colours while the rest turn grey. Lasso / box selections, taps
and the pointer position go back to the controller as plot coordinates.
"""

from __future__ import annotations

import threading
import warnings

import datashader as ds
import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
from holoviews.operation.datashader import datashade, dynspread

from ..colors import COLOR_KEY, color_codes, frame_table
from ..frame import EXTENT
from ..images import legend_html
from ..style import html_pane

# datashade fails on an empty frame (shape mismatch in shade): "nothing" is one point far outside
_EMPTY = frame_table(np.full((1, 2), 1e3, np.float32), np.zeros(1, np.int64), n_slots=0)
_warm = threading.Event()
# the empty selection layer shades an all-zero aggregate: numpy warns on every frame
warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)


def warm_up() -> None:
    """Pay datashader's numba compilation (seconds) once per process, not on the first frame."""
    if _warm.is_set():
        return
    _warm.set()
    xy = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    element = _points(frame_table(xy, np.arange(200) % 11, n_slots=10))
    shaded = dynspread(datashade(element, aggregator=ds.count_cat("c"), color_key=COLOR_KEY,
                                 min_alpha=90, width=120, height=120), threshold=0.6, max_px=2)
    hv.renderer("bokeh").get_plot(shaded)


def _points(data: pd.DataFrame) -> hv.Points:
    return hv.Points(data, kdims=["x", "y"], vdims=["c"]).redim.range(
        x=(-EXTENT, EXTENT), y=(-EXTENT, EXTENT))


class ScatterView:
    def __init__(self, controller, height: int = 560) -> None:
        self.controller = controller
        self.state = state = controller.state
        self.pipe = hv.streams.Pipe(data=_EMPTY)
        self.sel_pipe = hv.streams.Pipe(data=_EMPTY)
        self._codes: np.ndarray | None = None
        self._slots = 1
        self._had_selection = False
        self.frames_sent = 0
        shade = dict(aggregator=ds.count_cat("c"), color_key=COLOR_KEY, min_alpha=90)
        base = dynspread(datashade(hv.DynamicMap(_points, streams=[self.pipe]), **shade),
                         threshold=0.6, max_px=2)
        top = dynspread(datashade(hv.DynamicMap(_points, streams=[self.sel_pipe]), **shade),
                        threshold=0.9, max_px=3)
        tools = ["lasso_select", "box_select", "tap", "hover"]
        opts = dict(tools=tools[:3], active_tools=["lasso_select", "wheel_zoom"],
                    xaxis=None, yaxis=None, responsive=True, height=height, show_legend=False,
                    xlim=(-EXTENT, EXTENT), ylim=(-EXTENT, EXTENT), toolbar="above",
                    default_tools=["pan", "wheel_zoom", "box_zoom", "reset", "save"])
        self.plot = (base.opts(**opts) * top.opts(**opts)).opts(responsive=True, height=height)
        self.lasso = hv.streams.Lasso(source=base)
        self.bounds = hv.streams.BoundsXY(source=base)
        self.tap = hv.streams.Tap(source=base, x=None, y=None)
        self.pointer = hv.streams.PointerXY(source=base, x=None, y=None)
        self.lasso.add_subscriber(self._on_lasso)
        self.bounds.add_subscriber(self._on_bounds)
        self.tap.add_subscriber(self._on_tap)
        self.pointer.add_subscriber(self._on_pointer)
        self.legend = html_pane("", css_classes=["legend-pane"], sizing_mode="stretch_width")
        self.pane = pn.pane.HoloViews(self.plot, sizing_mode="stretch_width", height=height,
                                      css_classes=["scatter-pane"], linked_axes=False)
        state.param.watch(self._on_frame, ["frame"])
        state.param.watch(self._on_selection, ["selection"])
        state.param.watch(self._on_color, ["color_by"])

    # -- state -> plot ------------------------------------------------------
    def _recolor(self) -> None:
        data = self.controller.dataset
        if data is None:
            self._codes, self.legend.object = None, ""
            return
        self._codes, items = color_codes(data, self.state.color_by)
        self._slots = len(items)
        self.legend.object = legend_html(items)

    def _on_color(self, *_):
        self._recolor()
        self.send()

    def _on_frame(self, *_):
        self.send(selection=self._had_selection)

    def _on_selection(self, *_):
        self.send()

    def send(self, selection: bool = True) -> None:
        """Push the current frame (and, if needed, its selection) into the pipes."""
        frame, sel = self.state.frame, self.state.selection
        if frame is None:
            self.pipe.send(_EMPTY)
            self.sel_pipe.send(_EMPTY)
            self._had_selection = False
            return
        if self._codes is None or len(self._codes) != len(frame):
            self._recolor()
        codes = self._codes if self._codes is not None and len(self._codes) == len(frame) \
            else np.zeros(len(frame), np.int64)
        has = len(sel) > 0
        self.pipe.send(frame_table(frame.xy, codes, self._slots, grey=has))
        if has:
            sel = sel[sel < len(frame)]
            self.sel_pipe.send(frame_table(frame.xy[sel], codes[sel], self._slots))
        elif self._had_selection or selection:
            self.sel_pipe.send(_EMPTY)
        self._had_selection = has
        self.frames_sent += 1

    # -- plot -> controller ---------------------------------------------------
    def _on_lasso(self, geometry=None, **_):
        if geometry is not None and len(geometry) >= 3:
            g = np.asarray(geometry)
            self.controller.select_polygon(g[:, 0], g[:, 1])

    def _on_bounds(self, bounds=None, **_):
        if bounds is not None:
            self.controller.select_box(*bounds)

    def _on_tap(self, x=None, y=None, **_):
        if x is not None and y is not None:
            self.controller.click(x, y)

    def _on_pointer(self, x=None, y=None, **_):
        self.controller.hover(x, y)

    def panel(self) -> pn.viewable.Viewable:
        clear = pn.widgets.Button(label="Clear selection", color="light", width=130)
        clear.on_click(lambda _: self.controller.clear_selection())
        return pn.Column(self.pane, pn.Row(self.legend, clear, sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")
