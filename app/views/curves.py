"""Loss curves (total and each component), streamed through a Pipe."""

from __future__ import annotations

import time

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from pumap_core.training.terms import TERMS

from ..state import SessionState
from .dispatch import DocumentOutbox

#: colours of the total and, in declaration order, of each loss term
PALETTE = ("#222222", "#1f77b4", "#9467bd", "#d62728", "#2ca02c", "#ff7f0e", "#8c564b",
           "#e377c2", "#17becf")


def components() -> tuple[str, ...]:
    """The total, then every loss term the engine declares."""
    return ("total", *TERMS)


def colour(name: str) -> str:
    return PALETTE[components().index(name) % len(PALETTE)]


def label(name: str) -> str:
    return "total" if name == "total" else TERMS[name].label


def contributions(losses: dict[str, float], settings: dict[str, float]) -> dict[str, float]:
    """Each term as it enters the total: weight × term, as its declaration shows it.

    The engine's global term is −r (a Pearson correlation), negative whenever it
    helps, so neither it nor a total below the UMAP term could be drawn on a log
    axis; its declaration shows w·(1 − r), ≥ 0 and differing from w·(−r) by a
    constant, so the shown total (the sum of the shown terms) falls exactly when the
    optimised one does.
    """
    out = {}
    for name, value in losses.items():
        if name in TERMS:
            term = TERMS[name]
            out[name] = term.shown(settings.get(term.weight.name, 1.0), value)
    out["total"] = sum(out.values()) if out else np.nan
    return out


def loss_table(points) -> pd.DataFrame:
    """LossPoints -> columns step, total, then each term (weighted; NaN when absent)."""
    rows = [contributions(p.losses, p.settings) for p in points]
    data = {"step": np.array([p.step for p in points], np.int64)}
    for name in components():
        data[name] = np.array([r.get(name, np.nan) for r in rows], np.float64)
    return pd.DataFrame(data)


def _log_ticks(plot, element) -> None:
    """Four labelled ticks in plain numbers: superscript labels collide in a short chart."""
    from bokeh.models import LogTicker, PrintfTickFormatter

    axis = plot.state.yaxis[0]
    axis.ticker = LogTicker(desired_num_ticks=4, num_minor_ticks=0)
    axis.formatter = PrintfTickFormatter(format="%.2g")


def _curves(data: pd.DataFrame) -> hv.Overlay:
    layers = []
    drawn = [name for name in components() if name == "total" or data[name].notna().any()]
    for name in drawn:
        y = data[name].where(data[name] > 0)  # log axis
        layers.append(hv.Curve((data["step"], y), "step", "weighted loss",
                               label=label(name)).opts(
            color=colour(name), line_width=2 if name == "total" else 1.5, framewise=True))
    values = data[drawn].to_numpy().ravel()
    values = values[np.isfinite(values) & (values > 0)]
    ylim = (values.min() / 1.5, values.max() * 1.5) if len(values) else (0.01, 10.0)
    return hv.Overlay(layers).opts(
        ylim=ylim, logy=True, framewise=True, responsive=True, height=220,
        legend_position="right", toolbar=None, show_grid=True, title="", hooks=[_log_ticks])


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
        self.outbox = DocumentOutbox()
        state.param.watch(self._update, ["losses", "phase"])

    def _update(self, *_):
        points = self.state.losses
        live = self.state.phase in ("training", "paused")
        if len(points) == self._shown or (live and time.monotonic() - self._at < self.PERIOD):
            return
        self._shown, self._at = len(points), time.monotonic()
        table = loss_table(points)
        self.outbox.send("losses", lambda: self.pipe.send(table))

    def __panel__(self) -> pn.pane.HoloViews:
        return self.pane
