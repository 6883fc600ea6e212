"""Sidebar widgets: data chooser, training settings, run buttons, live sliders, models."""

from __future__ import annotations

import io
import re

import numpy as np
import panel as pn
import param

from pumap_core.model.fitting import AUTO_RECONSTRUCTION_ROWS

from ..state import RUNNING, SessionState
from ..style import html_pane

#: the learning-rate menu: label -> value, labels in one notation
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)


def rate_label(value: float) -> str:
    """``3e-03`` -> "3e-3": one notation for every entry of the menu."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def rate_options(current: float) -> dict[str, float]:
    """The menu, with the current value in its place (once, in the same notation)."""
    values = sorted({*LEARNING_RATES, float(current)})
    return {rate_label(v): v for v in values}


def model_filename(ds) -> str:
    """``mnist-all.pumap.safetensors``: the data set's name, safe as a file name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", getattr(ds, "name", "") or "").strip("-.")
    return f"{name or 'model'}.pumap.safetensors"


def css_class(name: str) -> str:
    return name.replace("_", "-")


def with_tooltip(widget, text: str) -> pn.Row:
    """``widget`` with an (i) beside it that shows ``text``: the engine's name and meaning."""
    widget.sizing_mode = "stretch_width"
    return pn.Row(widget, pn.widgets.TooltipIcon(value=text, width=18, margin=(22, 4, 0, 0)),
                  sizing_mode="stretch_width", margin=0)


def slider_end(soft_end: float, value: float) -> float:
    """A slider's end that shows ``value`` inside its range (the face settings' reconstruction
    weight of 50 on a 0-2 slider would sit at the end, out of reach)."""
    if value <= soft_end:
        return soft_end
    magnitude = 10 ** np.floor(np.log10(2 * value))
    return float(np.ceil(2 * value / magnitude) * magnitude)


class SafeDownload(pn.widgets.FileDownload):
    """A download whose callback may refuse (no model yet, a run just restarted): the page
    says why through the state's error, and nothing is raised into the server log."""

    @param.depends("_clicks", watch=True)  # as the method it replaces: a click transfers
    def _transfer(self):
        try:
            super()._transfer()
        except (RuntimeError, ValueError, OSError):
            pass  # the callback has put the reason on the page


class Sidebar(pn.viewable.Viewer):
    """The sidebar; every widget edits the session state or calls one of its actions."""

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        st = self.state
        self.source = pn.widgets.Select(label="Data set", options=dict(st.sources),
                                        value=st.source, css_classes=["source-select"])
        self._following = False  # set while the chooser follows the state, not the person
        self.source.param.watch(self._on_source, ["value"])
        self.path = pn.widgets.TextInput(label="…or a file or folder", placeholder="/path/to/data",
                                         css_classes=["path-input"])
        self.open = pn.widgets.Button(label="Open path", color="default",
                                      css_classes=["open-path"])
        self.open.on_click(lambda _: st.load(self.path.value_input or self.path.value))
        self.path.param.watch(lambda _: st.load(self.path.value), ["enter_pressed"])
        self.info = html_pane(pn.bind(lambda s: f'<div class="muted">{s}</div>',
                                      st.param.dataset_info), sizing_mode="stretch_width")

        self.n_neighbors = pn.widgets.IntSlider.from_param(st.param.n_neighbors)
        self.epochs = pn.widgets.IntInput.from_param(st.param.n_epochs, label="Epochs (0 = auto)",
                                                     step=10, css_classes=["epochs"])
        self.lr = pn.widgets.Select(label=st.param.learning_rate.label,
                                    options=rate_options(st.learning_rate), value=st.learning_rate,
                                    css_classes=["learning-rate"])
        self.lr.param.watch(lambda e: setattr(st, "learning_rate", e.new), ["value"])
        self.recon = pn.widgets.Checkbox.from_param(st.param.reconstruction,
                                                    label="Decoder (click a point to decode it)")
        self.recon_note = html_pane(
            f'<div class="muted" title="reconstruction: the decoder reconstructs '
            f"{AUTO_RECONSTRUCTION_ROWS} rows of each batch, a quarter to a half of a step's "
            'cost">Turn it off (or its weight to 0) to train the map alone.</div>',
            sizing_mode="stretch_width")

        self.train = pn.widgets.Button(label="Train", color="primary", css_classes=["train"])
        self.pause = pn.widgets.Button(label="Pause", css_classes=["pause"])
        self.resume = pn.widgets.Button(label="Resume", css_classes=["resume"])
        self.stop = pn.widgets.Button(label="Stop", color="danger", css_classes=["stop"])
        self.reset = pn.widgets.Button(label="Reset", css_classes=["reset"])
        for button, action in ((self.train, st.train), (self.pause, st.pause),
                               (self.resume, st.resume), (self.stop, st.stop),
                               (self.reset, st.reset)):
            button.on_click(lambda _, action=action: action())

        # one slider per live setting the state offers (bounds and labels from the engine)
        self.live = {name: pn.widgets.FloatSlider.from_param(
            st.param[name], css_classes=[css_class(name)])
            for name in st.live_names() if name != "learning_rate"}
        self.color_by = pn.widgets.Select.from_param(st.param.color_by, label="Colour by")

        self.add_source = pn.widgets.Select(label="New rows: a data set…",
                                            options={"(choose)": "", **st.sources},
                                            css_classes=["add-source"])
        self.add_path = pn.widgets.TextInput(label="…or a file or folder",
                                             placeholder="/path/to/more/rows",
                                             css_classes=["add-path"])
        self.add = pn.widgets.Button(label="Place on the map", color="primary",
                                     css_classes=["add-data"])
        self.add.on_click(lambda _: st.add_data(
            self.add_path.value_input or self.add_path.value or self.add_source.value))
        self.add_path.param.watch(lambda _: st.add_data(self.add_path.value), ["enter_pressed"])
        self.clear_added = pn.widgets.Button(label="Remove new rows", css_classes=["clear-added"])
        self.clear_added.on_click(lambda _: st.clear_added())

        self.save = SafeDownload(callback=self._model_file, filename="model.safetensors",
                                 label="Save model", color="success", disabled=True,
                                 css_classes=["save-model"])
        self.upload = pn.widgets.FileInput(accept=".safetensors,.pumap", multiple=False,
                                           css_classes=["load-model"])
        self.upload.param.watch(self._on_upload, ["value"])
        st.param.watch(self._on_phase, ["phase", "loading", "model"])
        st.param.watch(self._on_dataset, ["dataset"])
        st.param.watch(self._on_settings, ["learning_rate", *self.live])
        self._on_phase()
        self._on_settings()

    def _on_source(self, event) -> None:
        if not self._following:
            self.state.load(event.new)

    def _on_settings(self, *_) -> None:
        """The widgets show the values the state holds (a face preset's learning rate and
        reconstruction weight included), with ranges that reach them."""
        st = self.state
        if self.lr.value != st.learning_rate:
            self.lr.param.update(options=rate_options(st.learning_rate), value=st.learning_rate)
        for name, slider in self.live.items():
            soft_end = st.param[name].softbounds[1]
            end = slider_end(soft_end, getattr(st, name))
            if slider.end != end:
                slider.end = end

    def _model_file(self):
        try:
            return io.BytesIO(self.state.model_bytes())
        except (RuntimeError, ValueError, OSError) as e:
            self.state.error = f"Could not save the model: {e}"
            raise

    def _on_upload(self, event) -> None:
        if event.new:
            self.state.load_model_bytes(event.new, self.upload.filename or "model")

    def _on_phase(self, *_) -> None:
        st = self.state
        phase, running = st.phase, st.phase in RUNNING
        self.train.disabled = phase == "empty" or bool(st.loading)
        self.train.label = "Restart" if running else "Train"
        self.pause.disabled = phase != "training"
        self.resume.disabled = phase != "paused"
        self.stop.disabled = not running
        self.save.disabled = phase not in ("done", "stopped") or st.model is None
        self.add.disabled = st.model is None

    def _on_dataset(self, *_) -> None:
        """A new data set: its model file name, and the chooser shows what was opened (an
        opened path becomes an entry, so that choosing another set is a change)."""
        st = self.state
        self.save.filename = model_filename(st.dataset)
        if st.dataset is None or not st.source:
            return
        options = dict(self.source.options)
        if st.source not in options.values():
            options = {k: v for k, v in options.items() if v in st.sources.values()}
            options[f"{st.dataset.name} (opened)"] = st.source
        self._following = True
        try:
            self.source.param.update(options=options, value=st.source)
        finally:
            self._following = False

    def __panel__(self) -> pn.Column:
        section = lambda text: html_pane(f'<div class="section">{text}</div>')  # noqa: E731
        return pn.Column(
            section("Data"), self.source, self.path, self.open, self.info,
            pn.Row(self.train, self.pause, self.resume), pn.Row(self.stop, self.reset),
            section("Live (acts on the running optimisation)"),
            *(with_tooltip(w, f"{n}: {self.state.param[n].doc}") for n, w in self.live.items()),
            section("Training settings (for the next run)"),
            with_tooltip(self.n_neighbors, self.state.param.n_neighbors.doc), self.epochs,
            self.lr, self.recon, self.recon_note,
            section("View"), self.color_by,
            section("New rows on the map (same features)"), self.add_source, self.add_path,
            pn.Row(self.add, self.clear_added),
            section("Model"), self.save, html_pane('<div class="muted">Load a saved model:</div>'),
            self.upload, sizing_mode="stretch_width")
