"""Assemble one session's dashboard and wire its periodic callback and clean-up."""

from __future__ import annotations

import ctypes
import gc
import logging

import panel as pn
from panel.io.callbacks import PeriodicCallback
from panel.theme import fast

from .data_choices import available_sources
from .state import SessionState
from .style import css, html_pane
from .table_map import follow
from .views.curves import LossCurves
from .views.inspector import InspectPanel
from .views.labels import LabelPanel, probabilities_html
from .views.scatter import ScatterView
from .views.selection import SelectionPanel
from .views.sidebar import Sidebar
from .views.status import QualityView, StatusBar

log = logging.getLogger(__name__)

class Fast(fast.Fast):
    """Panel's Fast design without its Google Fonts link: the page asks nothing of the internet.

    (Named ``Fast`` because Panel finds the design's own files by the class's name.)
    """

    _resources = {**fast.Fast._resources, "font": {}}


#: the Labels tab stays open while the person brushes and names selections
LABELS_TAB = 2
POLL_MS = 250  # frames are sent at most this often, and only when new
TITLE = "Parametric UMAP studio"


def build(default_source: str = "digits") -> tuple[pn.template.BaseTemplate, SessionState]:
    """The page for one browser session, and its state."""
    state = SessionState(sources=available_sources(), source=default_source)
    scatter = ScatterView(state=state)
    inspect = InspectPanel(state=state)
    probabilities = html_pane(pn.bind(probabilities_html, state.param.click,
                                      state.param.predictions, state.param.labels),
                              css_classes=["probabilities-pane"], sizing_mode="stretch_width")
    side = pn.Tabs(("Click", pn.Column(inspect, probabilities, sizing_mode="stretch_width")),
                   ("Selection", SelectionPanel(state=state)),
                   ("Labels", LabelPanel(state=state)), dynamic=False,
                   sizing_mode="stretch_width", css_classes=["side-tabs"])
    follow_tabs(state, side)
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
        title=TITLE, sidebar=[Sidebar(state=state)], main=[main], sidebar_width=300,
        design=Fast,
        accent_base_color="#1f77b4", header_background="#1f3b57", theme_toggle=False,
        font="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", font_url="", raw_css=[css()])
    return template, state


def give_back_memory() -> None:
    """Collect the closed session's objects and hand freed heap pages back to the system.

    glibc keeps freed memory in its per-thread arenas (each training thread
    had one); without ``malloc_trim`` the server's RSS never comes down.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def connected(doc) -> bool:
    """False once the browser tab of ``doc``'s session has closed (before Bokeh destroys it)."""
    session = getattr(getattr(doc, "session_context", None), "_session", None)
    return session is None or session.connection_count > 0


def follow_tabs(state: SessionState, tabs: pn.Tabs) -> None:
    """A lasso or box opens the Selection tab, a click the Click tab."""
    def show(*events) -> None:  # one call for all the parameters an update changed
        for event in events:
            if event.name == "selection" and len(event.new) and tabs.active != LABELS_TAB:
                tabs.active = 1
            elif event.name == "click" and event.new is not None:
                tabs.active = 0

    state.param.watch(show, ["selection", "click"])

    def show_table(tab: int, name: str) -> None:
        if state.table is not None and getattr(state.table, name) is not None:
            tabs.active = tab

    follow(state, lambda: show_table(1, "selection"), ("selection",))
    follow(state, lambda: show_table(0, "click"), ("click",))


def serve_session(default_source: str = "digits") -> pn.template.BaseTemplate:
    """Build, start the poll and stop everything when the browser tab goes away."""
    template, state = build(default_source)
    doc = pn.state.curdoc

    def tick() -> None:
        if connected(doc):  # nothing is sent to a tab that has gone
            state.poll()

    # background: no busy indicator every tick, and no busy bookkeeping on a closed document
    callback = PeriodicCallback(callback=tick, period=POLL_MS, background=True)
    callback.start()

    def destroyed(_context) -> None:
        callback.stop()
        state.close()
        log.info("session %s closed: training stopped (worker alive: %s)", id(state),
                 state.worker.running)
        give_back_memory()

    pn.state.on_session_destroyed(destroyed)
    log.info("session %s opened", id(state))
    pn.state.onload(lambda: state.load(default_source))
    return template
