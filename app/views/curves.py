"""Loss curves (total and each component), streamed through a Pipe."""

from __future__ import annotations

import time

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from ..state import SessionState

COMPONENTS = ("total", "umap", "global", "reconstruction")
COLORS = {"total": "#222222", "umap": "#1f77b4", "global": "#d62728", "reconstruction": "#2ca02c"}


def loss_table(points) -> pd.DataFrame:
    """LossPoints -> columns step, total, umap, global, reconstruction (NaN when absent)."""
    data = {"step": np.array([p.step for p in points], np.int64)}
    for name in COMPONENTS:
        data[name] = np.array([p.losses.get(name, np.nan) for p in points], np.float64)
    return pd.DataFrame(data)


def _curves(data: pd.DataFrame) -> hv.Overlay:
    layers = []
    for name in COMPONENTS:
        y = data[name].where(data[name] > 0)  # log axis
        layers.append(hv.Curve((data["step"], y), "step", "loss", label=name).opts(
            color=COLORS[name], line_width=2 if name == "total" else 1.5, framewise=True))
    values = data[list(COMPONENTS)].to_numpy().ravel()
    values = values[np.isfinite(values) & (values > 0)]
    ylim = (values.min() / 1.5, values.max() * 1.5) if len(values) else (0.01, 10.0)
    return hv.Overlay(layers).opts(
        ylim=ylim, logy=True, framewise=True, responsive=True, height=220, legend_position="top_right",
        toolbar=None, show_grid=True, title="")


class LossCurves(pn.viewable.Viewer):
    """Follows state.losses, redrawn at most every ``PERIOD`` s while training runs
    (a redraw costs the event loop ~50 ms), and once more when it stops."""

    PERIOD = 2.0
    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        state = self.state
        self.pipe = hv.streams.Pipe(data=loss_table([]))
        self.pane = pn.pane.HoloViews(hv.DynamicMap(_curves, streams=[self.pipe]),
                                      sizing_mode="stretch_width", height=230,
                                      css_classes=["loss-pane"])
        self._shown, self._at = 0, 0.0
        state.param.watch(self._update, ["losses", "phase"])

    def _update(self, *_):
        points = self.state.losses
        live = self.state.phase in ("training", "paused")
        if len(points) == self._shown or (live and time.monotonic() - self._at < self.PERIOD):
            return
        self._shown, self._at = len(points), time.monotonic()
        self.pipe.send(loss_table(points))

    def __panel__(self) -> pn.pane.HoloViews:
        return self.pane
