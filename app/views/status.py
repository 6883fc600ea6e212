"""Status line, quality numbers and messages: pure functions of the state."""

from __future__ import annotations

import html

import panel as pn
import param

from pumap_core import Snapshot
from pumap_core.training.live import LIVE

from ..progress import clock
from ..state import SessionState
from ..style import html_pane

_PHASES = {"empty": "No data", "ready": "Ready", "training": "Training", "paused": "Paused",
           "stopping": "Stopping…", "stopped": "Stopped", "done": "Done", "failed": "Failed"}


def status_text(phase: str, progress: Snapshot | None, loading: str = "",
                fps: float = 0.0, preparing: str = "", added=None, moved=None) -> str:
    """One line in plain words: phase, steps, speed, time left and the running settings
    (the engine's names in tooltips)."""
    parts = [f"<b>{_PHASES.get(phase, phase)}</b>"]
    if loading:
        parts.append(f"loading {html.escape(loading)}…")
    elif preparing:
        parts.append(html.escape(preparing))
    if progress is not None and progress.step:
        p, total = progress, int(progress.extra.get("total_steps", 0))
        rate = p.step / max(p.elapsed, 1e-9)
        stage = p.extra.get("stage_epoch") or f"epoch {p.epoch:.1f} of {p.n_epochs}"
        parts.append(f"step {p.step:,}" + (f" of {total:,}" if total else "")
                     + f' <span title="an epoch is one pass over the neighbour graph">'
                       f"({html.escape(stage)})</span>")
        parts.append(f'<span title="{p.edges_per_second:,.0f} neighbour pairs (edges) a second">'
                     f"{rate:.1f} steps per second</span>")
        if fps and phase in ("training", "paused"):
            parts.append(f"{fps:.1f} frames per second")
        if phase in ("training", "paused"):
            left = p.extra.get("seconds_left", None if not total else
                               (total - p.step) / max(rate, 1e-9))
            parts.append(f"{clock(left)} left" if left is not None else "estimating the time left…")
        else:
            parts.append(f"{clock(p.elapsed)} in all")
            if phase == "done" and p.epoch < p.n_epochs - 0.05 and p.extra.get("stage") != "map":
                parts.append(f'<span class="converged">stopped early, at epoch {p.epoch:.1f} of at '
                             f"most {p.n_epochs}: the map had stopped improving</span>")
        if p.settings:
            verb = "running with" if phase in ("training", "paused") else "trained with"
            parts.append(f'<span class="running-settings">{verb} '
                         f"{settings_text(p.settings)}</span>")
    if added is not None:
        parts.append(f'<span class="added-status">+{added.n:,} new rows '
                     f"({html.escape(added.dataset.name)}) placed at {added.rate:,.0f} rows per "
                     "second</span>")
    if moved is not None:
        parts.append(f'<span class="moved-status">old points moved {moved:.2f} neighbour '
                     "distances (median)</span>")
    return f'<div class="status-text">{" · ".join(parts)}</div>'


def settings_text(settings: dict[str, float]) -> str:
    """The running values of the live settings the app offers, in words (the engine's name
    and meaning in a tooltip)."""
    out = []
    for name in SessionState.live_names():
        if name in settings:
            s, v = LIVE[name], settings[name]
            words = (s.label or name).replace(" weight", "").lower()
            value = f"{v:.2g}" if name == "learning_rate" else f"{v:.2f}"
            out.append(f'<span title="{html.escape(name)}: {html.escape(s.doc)}">'
                       f"{html.escape(words)} {value}</span>")
    return ", ".join(out)


def quality_text(quality: dict) -> str:
    if not quality:
        return "<i>Quality appears a few seconds after training starts.</i>"
    if "error" in quality:
        return f"Quality unavailable: {html.escape(quality['error'])}"
    t, dc = quality["trustworthiness"], quality["distance_correlation"]
    return (f'<div class="quality"><span title="neighbourhoods kept (k=5)">'
            f"<b>Local</b> trustworthiness {t:.3f}</span> · "
            f'<span title="pairwise distances, data vs embedding"><b>Global</b> '
            f"distance correlation {dc:.3f}</span>"
            f'<div class="muted">on {quality["n"]} items, step {quality["step"]:,}</div></div>')


#: the status bar stays at the top of the page's scrolling area
STICKY = ":host { position: sticky; top: 0; z-index: 20; background: var(--background-color, #fff); }"


class StatusBar(pn.viewable.Viewer):
    """The status line and the last error and notice, kept in view at the top of the page."""

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        st = self.state
        self.line = html_pane(pn.bind(status_text, st.param.phase, st.param.progress,
                                      st.param.loading, st.param.fps,
                                      st.param.preparing, st.param.added, st.param.moved),
                              css_classes=["status-line"], sizing_mode="stretch_width")
        self.error = pn.pane.Alert("", alert_type="danger", visible=False,
                                   css_classes=["error-alert"], sizing_mode="stretch_width")
        self.warning = pn.pane.Alert("", alert_type="warning", visible=False,
                                     css_classes=["warning-alert"], sizing_mode="stretch_width")
        self.notice = html_pane("", css_classes=["notice"], sizing_mode="stretch_width")
        self.dismiss = pn.widgets.Button(label="Dismiss", color="light", width=90, visible=False)
        self.dismiss.on_click(lambda _: setattr(st, "error", ""))
        st.param.watch(self._show, ["error", "notice", "warning"])
        self._show()

    def _show(self, *_) -> None:
        st = self.state
        self.error.object = f'<span class="error-text">{html.escape(st.error)}</span>'
        self.error.visible = self.dismiss.visible = bool(st.error)
        self.warning.object = f'<span class="warning-text">{html.escape(st.warning)}</span>'
        self.warning.visible = bool(st.warning)
        self.notice.object = html.escape(st.notice)

    def __panel__(self) -> pn.Column:
        return pn.Column(self.line, pn.Row(self.error, self.dismiss), self.warning, self.notice,
                         sizing_mode="stretch_width", css_classes=["status-bar"],
                         stylesheets=[STICKY])


class QualityView(pn.viewable.Viewer):
    state = param.ClassSelector(class_=SessionState)

    def __panel__(self) -> pn.pane.HTML:
        return html_pane(pn.bind(quality_text, self.state.param.quality),
                         css_classes=["quality-pane"], sizing_mode="stretch_width")
