"""Assemble one session's dashboard and wire its periodic callback and clean-up."""

from __future__ import annotations

import logging

import panel as pn
from panel.io.callbacks import PeriodicCallback

from .sources import available_sources
from .state import SessionState
from .style import css, html_pane
from .views.controls import Controls
from .views.curves import LossCurves
from .views.inspect import InspectPanel
from .views.scatter import ScatterView
from .views.selection import SelectionPanel
from .views.status import QualityView, StatusBar

log = logging.getLogger(__name__)

POLL_MS = 250  # frames are sent at most this often, and only when new
TITLE = "Parametric UMAP studio"


def build(default_source: str = "digits") -> tuple[pn.template.BaseTemplate, SessionState]:
    """The page for one browser session, and its state."""
    state = SessionState(sources=available_sources(), source=default_source)
    scatter = ScatterView(state=state)
    inspect = InspectPanel(state=state)
    side = pn.Tabs(("Click", inspect), ("Selection", SelectionPanel(state=state)), dynamic=False,
                   sizing_mode="stretch_width", css_classes=["side-tabs"])
    main = pn.Column(
        StatusBar(state=state),
        pn.Row(pn.Column(scatter, inspect.hover, sizing_mode="stretch_width", min_width=420),
               pn.Column(side, width=430), sizing_mode="stretch_width"),
        pn.Row(pn.Column(html_pane('<div class="section">Losses</div>'), LossCurves(state=state),
                         sizing_mode="stretch_width"),
               pn.Column(html_pane('<div class="section">Quality (local / global)</div>'),
                         QualityView(state=state), width=360),
               sizing_mode="stretch_width"),
        sizing_mode="stretch_width")
    template = pn.template.FastListTemplate(
        title=TITLE, sidebar=[Controls(state=state)], main=[main], sidebar_width=300,
        accent_base_color="#1f77b4", header_background="#1f3b57", theme_toggle=False,
        font="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", font_url="", raw_css=[css()])
    template.state = state  # for tests and debugging
    template.scatter = scatter
    return template, state


def serve_session(default_source: str = "digits") -> pn.template.BaseTemplate:
    """Build, start the poll and stop everything when the browser tab goes away."""
    template, state = build(default_source)
    # background: no busy indicator every tick, and no busy bookkeeping on a closed document
    callback = PeriodicCallback(callback=state.poll, period=POLL_MS, background=True)
    callback.start()

    def destroyed(_context) -> None:
        callback.stop()
        state.close()
        log.info("session %s closed: training stopped (worker alive: %s)", id(state),
                 state.worker.running)

    pn.state.on_session_destroyed(destroyed)
    log.info("session %s opened", id(state))
    pn.state.onload(lambda: state.load(default_source))
    return template
