"""The session's labelling: label a selection, undo, rename and delete classes, predictions,
"label next", export, and new rows taken into training.

A mixin of :class:`app.state.SessionState` (its parameters and actions, no
widgets). Every change to the labels continues the model's training on them
(:meth:`app.continuing.ContinuedRuns.train_on`): the classifier head learns live
beside UMAP's loss while the landmark term holds the map, and the predictions
of each published copy colour the map (:mod:`app.predictions`).
"""

from __future__ import annotations

import io

import numpy as np
import param

from .label_set import LabelError, LabelSet
from .predictions import PredictionMonitor

#: colour-by choices the labels add
PREDICTED = "predicted class"
YOURS = "your labels"
#: rows in the "label next" list
SUGGESTIONS = 8


class Labelling(param.Parameterized):
    labels = param.Parameter(default=None, doc="app.label_set.LabelSet of the training rows.")
    label_name = param.String(default="", doc="The class name typed (or picked) for a selection.")
    predictions = param.Parameter(default=None, doc="app.predictions.Predictions, or None.")
    suggestions = param.Array(default=np.zeros(0, np.int64),
                              doc="Rows whose labels would teach most, best first.")
    moved = param.Number(default=None, allow_None=True,
                         doc="How far the held rows moved in the continued run (median, in "
                             "neighbour distances of the map before it).")

    def _init_labelling(self) -> None:
        self.prediction_monitor = PredictionMonitor()
        self.param.watch(self._on_data_for_labels, ["dataset"])

    def _on_data_for_labels(self, event) -> None:
        ds = event.new
        if ds is None:
            self.param.update(labels=None, predictions=None, suggestions=np.zeros(0, np.int64),
                              moved=None)
        elif self.labels is None or self.labels.n_rows != ds.n_samples:
            self.prediction_monitor.forget()
            self.param.update(labels=LabelSet.empty(ds.n_samples), predictions=None,
                              suggestions=np.zeros(0, np.int64), moved=None)

    def training_labels(self) -> np.ndarray | None:
        """The labels as class codes for training, or None when nothing is labelled."""
        labels = self.labels
        return labels.codes.copy() if labels is not None and labels.n_labelled else None

    # -- the person's actions -------------------------------------------------
    def label_selection(self, name: str | None = None) -> bool:
        """Label the selected training rows as ``name`` (default: the typed name)."""
        if self.labels is None:
            self.error = "Load data first."
            return False
        rows = self.selection[self.selection < self.labels.n_rows]
        if len(self.selection) and not len(rows):
            self.error = ("The selection holds only new rows placed on the map: add them to "
                          "training first, then label them.")
            return False
        return self._change(lambda labels: labels.assign(rows, name or self.label_name))

    def undo_label(self) -> bool:
        return self._change(LabelSet.undo)

    def rename_class(self, old: str, new: str) -> bool:
        return self._change(lambda labels: labels.rename(old, new), retrain=False)

    def delete_class(self, name: str) -> bool:
        return self._change(lambda labels: labels.delete(name))

    def _change(self, action, retrain: bool = True) -> bool:
        if self.labels is None:
            self.error = "Load data first."
            return False
        try:
            message = action(self.labels)
        except LabelError as e:
            self.error = f"Not labelled: {e}"
            return False
        self.param.update(error="", notice=message)
        self.param.trigger("labels")
        self._offer_label_colors()
        if retrain:
            self.teach()
        return True

    def _offer_label_colors(self) -> None:
        objects = list(self.param.color_by.objects)
        extra = [c for c in (PREDICTED, YOURS) if c not in objects]
        if extra:
            self.param.color_by.objects = objects + extra

    def teach(self, wait: bool = False) -> bool:
        """Continue training the model on the labels (the map held); False without a model."""
        if self.model is None or self.dataset is None:
            if self.labels is not None and self.labels.n_labelled:
                self.notice += " Press Train: the classifier learns the labels with the map."
            return False
        try:
            self.worker.train_on(self.training_labels(), wait=wait,
                                 snapshot_interval=self.snapshot_interval(),
                                 **self.live_settings())
        except RuntimeError as e:
            self.error = str(e)
            return False
        self.phase = self.worker.phase
        return True

    def train_with_added(self, wait: bool = False) -> bool:
        """The rows placed on the map join the training data; training goes on with the
        old map held by the landmark term."""
        if self.added is None or self.model is None:
            self.error = "Place new rows on a trained map first (Place on the map)."
            return False
        old = self.labels
        try:
            ds = self.worker.take_added_into_training()
        except RuntimeError as e:
            self.error = str(e)
            return False
        n_new = ds.n_samples - old.n_rows
        self.quality_monitor.reset(ds.n_samples)
        self.param.update(labels=old.extended(n_new), predictions=None, moved=None,
                          suggestions=np.zeros(0, np.int64), selection=np.zeros(0, np.int64),
                          dataset=ds, shown=ds, added=None, click=None, hover=-1, error="",
                          notice=f"Training on {n_new:,} new rows beside {old.n_rows:,} "
                                 "held ones.",
                          dataset_info=f"{ds.name}: {ds.n_samples:,} items × "
                                       f"{ds.n_features:,} features")
        self.prediction_monitor.forget()
        return self.teach(wait=wait)

    def suggest(self, n: int = SUGGESTIONS) -> np.ndarray:
        """Fill ``suggestions`` with the rows whose labels would teach most."""
        from pumap_core.labelling import label_next

        frame, labels, pred = self.frame, self.labels, self.predictions
        if frame is None or labels is None:
            self.error = "Train a map first: suggestions come from the map."
            return self.suggestions
        z = frame.train_z
        proba = pred.proba if pred is not None and len(pred.proba) == len(z) else None
        self.suggestions = label_next(z, labels.codes[:len(z)], proba, n)
        return self.suggestions

    # -- what the page shows ------------------------------------------------
    def _poll_labels(self) -> None:
        """From the periodic poll: new predictions, and how far held rows moved."""
        result, error = self.prediction_monitor.take()
        if error:
            self.error = error
        if result is not None and self.labels is not None \
                and len(result.proba) == self.labels.n_rows:
            first = self.predictions is None
            self.predictions = result
            if first and self.color_by not in (PREDICTED, YOURS):
                self._offer_label_colors()
                self.color_by = PREDICTED
        w = self.worker
        if self.dataset is not None and w.predictor is not None:
            from .faces import fit_input

            self.prediction_monitor.maybe_start(w.predictor, fit_input(self.dataset))
        held, frame = w.held, self.frame
        if held is not None and frame is not None and len(frame.train_z) >= len(held.before):
            moved = held.moved(frame.train_z)
            if moved != self.moved:
                self.moved = moved

    def labels_table(self):
        """Labels, predictions, confidence and class probabilities of every training row."""
        if self.labels is None:
            raise RuntimeError("load data first")
        pred = self.predictions
        if pred is None:
            return self.labels.table()
        return self.labels.table(pred.predicted, pred.confidence, pred.proba, pred.classes)

    def export_labels(self, kind: str) -> io.BytesIO:
        """The :meth:`labels_table` as a CSV or Parquet file."""
        table, out = self.labels_table(), io.BytesIO()
        if kind == "csv":
            out.write(table.to_csv(index=False).encode())
        elif kind == "parquet":
            table.to_parquet(out, index=False)
        else:
            raise ValueError(f"unknown export format {kind!r}: csv or parquet")
        out.seek(0)
        return out

    def labels_from_model(self, model) -> None:
        """A loaded model's training labels and class names, when they fit the data."""
        codes = getattr(model, "training_labels_", None)
        if codes is None or self.dataset is None or len(codes) != self.dataset.n_samples:
            return
        self.labels = LabelSet.of(codes, getattr(model, "class_names_", None) or [])
        self._offer_label_colors()

    def model_with_labels(self, model):
        """``model`` carrying the class names, so a saved file keeps them."""
        if self.labels is not None and getattr(model, "training_labels_", None) is not None:
            model.class_names_ = list(self.labels.names)
        return model
