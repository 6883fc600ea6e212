"""The Labels tab: name a selection, manage classes, see what the classifier learned,
"label next", export, and take new rows into training; and the clicked point's class
probabilities for the Click tab. Functions of the state; widgets call its actions."""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param

from ..html_blocks import as_image, img_tag
from ..label_colors import class_color
from ..state import SessionState
from ..style import html_pane

THUMB_PX = 56


def swatch(code: int) -> str:
    return f'<span class="swatch" style="background:{class_color(code)}"></span>'


def selected_html(selection: np.ndarray) -> str:
    n = len(selection)
    text = f"{n:,} points selected" if n else "Nothing selected: lasso or box points on the map"
    return f'<div class="label-selected muted">{text}</div>'


def classes_html(labels, predictions) -> str:
    """One line per class: colour, name, labelled rows and rows predicted as it."""
    if labels is None or not labels.classes:
        return ('<div class="muted classes-list">No labels yet: select points on the map '
                "(lasso or box), type a class name and press Label selection.</div>")
    predicted = (np.bincount(predictions.predicted, minlength=len(labels.names) + 1)
                 if predictions is not None and len(predictions.proba) == labels.n_rows else None)
    counts = labels.counts()
    rows = []
    for code, name in enumerate(labels.names):
        if name is None:
            continue
        guess = f" · {int(predicted[code]):,} predicted" if predicted is not None else ""
        rows.append(f'<div class="class-row">{swatch(code)} <b>{html.escape(name)}</b>: '
                    f"{counts[name]:,} labelled{guess}</div>")
    total = f"{labels.n_labelled:,} of {labels.n_rows:,} rows labelled"
    return f'<div class="classes-list">{"".join(rows)}<div class="muted">{total}</div></div>'


def suggestions_html(shown, labels, predictions, rows: np.ndarray) -> str:
    """The "label next" list: thumbnails (or row numbers) with the current guess."""
    if not len(rows) or shown is None:
        return '<div class="muted suggestions">Press Suggest for the rows to label next.</div>'
    items = []
    for i in rows:
        guess = ""
        if predictions is not None and i < len(predictions.proba):
            code, p = predictions.of_row(int(i))[0]
            guess = f"{labels.name_of(code)}? {p:.0%}"
        image = as_image(shown.images[i] if shown.images is not None else shown.X[i],
                         shown.image_shape)
        face = img_tag(image, THUMB_PX, f"row {i}") or f'<span class="row-no">row {i}</span>'
        items.append(f'<div class="suggestion" data-row="{int(i)}">{face}'
                     f'<div class="muted">{html.escape(guess)}</div></div>')
    return f'<div class="suggestions">{"".join(items)}</div>'


def probabilities_html(click, predictions, labels) -> str:
    """The clicked point's class probabilities, most probable first."""
    if click is None or predictions is None or labels is None or click.nearest < 0 \
            or click.nearest >= len(predictions.proba):
        return ""
    i = click.nearest
    own = labels.name_of(labels.codes[i]) if labels.codes[i] >= 0 else None
    bars = []
    for code, p in predictions.of_row(i):
        name = html.escape(labels.name_of(code))
        bars.append(f'<div class="prob-row">{swatch(code)} {name} <span class="prob-bar" '
                    f'style="display:inline-block;width:{p * 120:.0f}px;height:8px;'
                    f'background:{class_color(code)}"></span> {p:.1%}</div>')
    mine = f" · your label: <b>{html.escape(own)}</b>" if own else ""
    return (f'<div class="class-probabilities"><div class="section">Class probabilities of '
            f"row {i}{mine}</div>{''.join(bars)}</div>")


class LabelPanel(pn.viewable.Viewer):
    """Labelling and continued training: every widget edits the state or calls an action."""

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        st = self.state
        self.name_input = pn.widgets.TextInput.from_param(st.param.label_name,
                                                          label="Class name",
                                                          placeholder="type a name…",
                                                          css_classes=["label-name"])
        self.pick = pn.widgets.Select(label="…or pick a class", options=[""],
                                      css_classes=["label-pick"])
        self.pick.param.watch(lambda e: e.new and setattr(st, "label_name", e.new), ["value"])
        self.label = pn.widgets.Button(label="Label selection", color="primary",
                                       css_classes=["label-selection"])
        self.label.on_click(lambda _: st.label_selection(self.name_input.value_input
                                                         or self.name_input.value))
        self.undo = pn.widgets.Button(label="Undo", css_classes=["undo-label"])
        self.undo.on_click(lambda _: st.undo_label())
        self.new_name = pn.widgets.TextInput(label="New name", css_classes=["class-new-name"])
        self.rename = pn.widgets.Button(label="Rename", css_classes=["rename-class"])
        self.rename.on_click(lambda _: st.rename_class(
            self.pick.value, self.new_name.value_input or self.new_name.value))
        self.delete = pn.widgets.Button(label="Delete class", color="danger",
                                        css_classes=["delete-class"])
        self.delete.on_click(lambda _: st.delete_class(self.pick.value))
        self.selected = html_pane(pn.bind(selected_html, st.param.selection),
                                  sizing_mode="stretch_width")
        self.classes = html_pane(pn.bind(classes_html, st.param.labels, st.param.predictions),
                                 sizing_mode="stretch_width")
        self.weight = pn.widgets.FloatSlider.from_param(st.param.classifier_weight,
                                                        css_classes=["label-classifier-weight"])
        self.suggest = pn.widgets.Button(label="Suggest rows to label", css_classes=["suggest"])
        self.suggest.on_click(lambda _: st.suggest())
        self.select_next = pn.widgets.Button(label="Select the first", css_classes=["select-next"])
        self.select_next.on_click(self._select_next)
        self.suggestions = html_pane(pn.bind(suggestions_html, st.param.shown, st.param.labels,
                                             st.param.predictions, st.param.suggestions),
                                     sizing_mode="stretch_width")
        self.csv = pn.widgets.FileDownload(callback=lambda: self._export("csv"), label="CSV",
                                           filename="labels.csv", css_classes=["export-csv"])
        self.parquet = pn.widgets.FileDownload(callback=lambda: self._export("parquet"),
                                               label="Parquet", filename="labels.parquet",
                                               css_classes=["export-parquet"])
        self.landmark = pn.widgets.FloatSlider.from_param(st.param.landmark_weight,
                                                          css_classes=["label-landmark-weight"])
        self.grow = pn.widgets.Button(label="Add new rows to training", color="primary",
                                      css_classes=["train-added"])
        self.grow.on_click(lambda _: st.train_with_added())
        st.param.watch(self._on_labels, ["labels"])
        st.param.watch(self._on_added, ["added", "model"])
        self._on_labels()
        self._on_added()

    def _select_next(self, _) -> None:
        st = self.state
        rows = st.suggestions[st.labels.codes[st.suggestions] < 0] if st.labels is not None \
            else st.suggestions
        if len(rows):
            st.selection = rows[:1]

    def _export(self, kind: str):
        try:
            return self.state.export_labels(kind)
        except (RuntimeError, ValueError, ImportError) as e:
            self.state.error = f"Could not export the labels: {e}"
            raise

    def _on_labels(self, *_) -> None:
        labels = self.state.labels
        classes = labels.classes if labels is not None else []
        self.pick.options = ["", *classes]
        if self.pick.value not in self.pick.options:
            self.pick.value = ""
        self.undo.disabled = labels is None or not labels.can_undo

    def _on_added(self, *_) -> None:
        self.grow.disabled = self.state.added is None or self.state.model is None

    def __panel__(self) -> pn.Column:
        section = lambda text: html_pane(f'<div class="section">{text}</div>')  # noqa: E731
        return pn.Column(
            section("Label the selection"), self.selected, self.name_input, self.pick,
            pn.Row(self.label, self.undo), self.classes,
            pn.Row(self.new_name, pn.Column(self.rename, self.delete)),
            self.weight,
            section("Label next"), pn.Row(self.suggest, self.select_next), self.suggestions,
            section("Export labels and predictions"), pn.Row(self.csv, self.parquet),
            section("New rows into training (the old map held)"), self.landmark, self.grow,
            sizing_mode="stretch_width", css_classes=["labels-panel"])
