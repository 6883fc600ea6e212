"""Continued training in the worker: labels teach the classifier head, new rows join the map.

A mixin of :class:`app.worker.Worker`, Panel-free. ``train_on`` stops the run,
then trains the current model further with :meth:`pumap_core.ParametricUMAP.partial_fit`
on the current data and the person's labels: the head learns beside UMAP's
loss while the landmark term holds the rows already on the map where they
were. ``take_added_into_training`` makes the rows placed on the map part of
the data first, so the same run gives them places of their own.

With each snapshot the training thread publishes ``predictor``, a frozen copy
of the model (its networks as they were at that step), for the page's
predictions: the model itself changes in place at every step.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from types import SimpleNamespace

import numpy as np

from pumap_core import Snapshot, TrainingControls

from .added import Shown
from .faces import fit_input


@dataclasses.dataclass
class Held:
    """Rows held by a continued run: their map before it, in that map's neighbour distance."""

    before: np.ndarray
    unit: float

    def moved(self, z: np.ndarray) -> float:
        """Median distance the held rows moved, in neighbour distances (after alignment)."""
        from pumap_core.eval.displacement import median_displacement

        n = len(self.before)
        return median_displacement(self.before, z[:n], self.unit) if len(z) >= n else np.nan


def merged_labels(train, new) -> tuple[np.ndarray | None, list[str] | None]:
    """The two data sets' labels as codes of one list of names: the training set's names,
    then the new set's other ones (so new classes keep their names and colours)."""
    if train.labels is None:
        return None, None
    if new.labels is None:
        return np.concatenate([train.labels, np.full(new.n_samples, -1)]), train.label_names
    if train.label_names is None or new.label_names is None:
        return np.concatenate([train.labels, new.labels]), train.label_names
    names = list(train.label_names) + [n for n in new.label_names if n not in train.label_names]
    recode = np.array([names.index(n) for n in new.label_names] + [-1])
    return np.concatenate([train.labels, recode[new.labels]]), names


def joined(train, new):
    """One data set of the training rows then the new ones (labels and attributes too)."""
    shown = Shown(train, SimpleNamespace(dataset=new))
    images = None if shown.images is None else np.concatenate([train.images, shown.images.b])
    labels, names = merged_labels(train, new)
    return dataclasses.replace(train, X=np.vstack([train.X, new.X]), images=images,
                               labels=labels, label_names=names, attributes=shown.attributes,
                               name=shown.name)


class ContinuedRuns:
    """``train_on`` and ``take_added_into_training`` for the worker (see the module)."""

    predictor = None  # a frozen copy of the model with a classifier head, or None
    held: Held | None = None  # what the newest continued run holds on the map

    def publish_predictor(self, model, gen: int | None = None) -> None:
        """Keep ``model`` (a copy nothing trains) for predictions, when it has a classifier."""
        if model is None or getattr(model, "classifier_", None) is None:
            return
        with self._lock:
            if gen is None or gen == self._generation:
                self.predictor = model

    def _finished(self, gen: int, model, controls: TrainingControls) -> None:
        """Training thread, the run over: the model, its predictor, its phase, the news."""
        self.publish_predictor(model.frozen_copy() if model.classifier_ is not None else None,
                               gen)
        with self._lock:
            if gen == self._generation:
                self.model, self._fitting = model, None
                self.phase = "stopped" if controls.stopped else "done"
                self._events.append(("finished", model))

    def _labelled_snapshot(self, gen: int, snap: Snapshot) -> None:
        """Training thread, between two steps: the usual snapshot publishes a copy of the
        model; with a classifier head, that copy predicts for the page too."""
        self._on_snapshot(gen, snap)
        with self._lock:
            published = self.model if gen == self._generation else None
        if published is not None and published is not self._fitting:
            self.publish_predictor(published, gen)

    def take_added_into_training(self):
        """The rows placed on the map become training rows: returns the joined data set."""
        self.stop(wait=True)
        with self._lock:
            train, new, model = self.dataset, self._new_rows, self.model
        if new is None or train is None or model is None:
            raise RuntimeError("place new rows on a trained map first (Place on the map)")
        ds = joined(train, new)
        with self._lock:
            self.dataset, self._new_rows, self.added = ds, None, None
        return ds

    def train_on(self, labels: np.ndarray | None, wait: bool = False,
                 snapshot_interval: float = 0.5, **settings: float) -> threading.Thread:
        """Train the current model further on the current data (``partial_fit``) with
        ``labels`` (codes, -1 unlabelled; None: the head is not trained) and estimator
        ``settings``; the rows the model was fitted on are held where its map had them."""
        self.stop(wait=True)
        with self._lock:
            model, ds = self.model, self.dataset
        if model is None or ds is None:
            raise RuntimeError("train a map first: labels and new rows continue its training")
        controls = TrainingControls()
        shown = model.frozen_copy()  # what the page reads until the first snapshot
        with self._lock:
            self._generation += 1
            gen = self._generation
            self.controls, self._latest, self._fresh = controls, None, False
            self.model, self._fitting = shown, model
            if self.predictor is not None:
                self.predictor = shown  # never the model being trained
            self.history, self.phase, self.error = [], "training", None
            self._fit_started = time.monotonic()
            self._events = [e for e in self._events if e[0] != "finished"]
            self.held = None
        X = fit_input(ds)

        def work() -> None:
            import torch

            from pumap_core.eval.displacement import map_neighbour_distance

            torch.set_num_threads(self.torch_threads)
            try:
                before = np.asarray(model.embedding_)
                with self._lock:
                    self.held = Held(before, map_neighbour_distance(before))
                model.set_params(**settings)
                model.partial_fit(X, labels, controls=controls,
                                  callback=lambda s: self._labelled_snapshot(gen, s),
                                  snapshot_embedding="all", snapshot_interval=snapshot_interval)
            except Exception as e:  # noqa: BLE001 - every failure is shown to the user
                self._fail(gen, f"Continued training failed: {e}")
                return
            self._finished(gen, model, controls)

        return self._spawn(work, wait, "pumap-continue")
