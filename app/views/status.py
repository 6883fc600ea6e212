"""Status line, quality numbers and messages: pure functions of the state."""

from __future__ import annotations

import html

import panel as pn

from ..progress import Progress
from ..style import html_pane

_PHASES = {"empty": "No data", "ready": "Ready", "training": "Training", "paused": "Paused",
           "stopping": "Stopping…", "stopped": "Stopped", "done": "Done", "failed": "Failed"}


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def status_text(phase: str, progress: Progress | None, loading: bool = False,
                fps: float = 0.0) -> str:
    """One line: phase, epoch, steps/s, time left and the running settings."""
    parts = [f"<b>{_PHASES.get(phase, phase)}</b>"]
    if loading:
        parts.append("loading data / building the neighbour graph…")
    if progress is not None and progress.step:
        p = progress
        rate = p.step / max(p.elapsed, 1e-9)
        parts.append(f"epoch {p.epoch:.1f} / {p.n_epochs}")
        parts.append(f"step {p.step:,}" + (f" / {p.total_steps:,}" if p.total_steps else ""))
        parts.append(f"{rate:.1f} steps/s · {p.edges_per_second:,.0f} edges/s")
        if fps and phase in ("training", "paused"):
            parts.append(f"{fps:.1f} frames/s")
        if p.total_steps and phase in ("training", "paused"):
            parts.append(f"{_clock((p.total_steps - p.step) / max(rate, 1e-9))} left")
        else:
            parts.append(f"{_clock(p.elapsed)} elapsed")
        st = p.settings
        if st:
            parts.append(
                f'<span class="running-settings">running: min_dist={st.get("min_dist", 0):.2f} · '
                f'global={st.get("global_correlation_weight", 0):.2f} · '
                f'recon={st.get("reconstruction_weight", 0):.2f} · '
                f'lr={st.get("learning_rate", 0):.1e}</span>')
    return f'<div class="status-text">{" · ".join(parts)}</div>'


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


def status_pane(state) -> pn.pane.HTML:
    text = pn.bind(status_text, state.param.phase, state.param.progress, state.param.loading,
                   state.param.fps)
    return html_pane(text, css_classes=["status-line"], sizing_mode="stretch_width")


def quality_pane(state) -> pn.pane.HTML:
    return html_pane(pn.bind(quality_text, state.param.quality), css_classes=["quality-pane"],
                        sizing_mode="stretch_width")


def message_panes(state) -> pn.Column:
    """The last error (red, dismissable) and the last notice."""
    error = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["error-alert"],
                          sizing_mode="stretch_width")
    notice = html_pane("", css_classes=["notice"], sizing_mode="stretch_width")
    dismiss = pn.widgets.Button(label="Dismiss", color="light", width=90, visible=False)

    def show(*_):
        error.object = f'<span class="error-text">{html.escape(state.error)}</span>'
        error.visible = dismiss.visible = bool(state.error)
        notice.object = html.escape(state.notice)

    dismiss.on_click(lambda _: setattr(state, "error", ""))
    state.param.watch(show, ["error", "notice"])
    show()
    return pn.Column(pn.Row(error, dismiss), notice, sizing_mode="stretch_width")
