"""Continued training: ``partial_fit`` trains a fitted model further, on the rows it was
fitted on and new ones, with new labels, while the landmark loss holds the old map.

A mixin of :class:`~pumap_core.model.estimator.ParametricUMAP`. The networks go on
from where they are (no new initial layout, no new projection), so the old map
is the starting point; the neighbour graph is rebuilt over all the rows given
(or kept when they are the rows fitted before); the classifier head keeps what
it learned and grows outputs for new classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..eval.displacement import median_displacement
from ..graph.build import NeighborGraph, build_graph
from ..training.curve import find_ab_params
from ..training.live import Snapshot, TrainingControls
from ..validation import check_labels
from . import deprecations, fitting
from .landmarks import landmark_data, landmark_positions, rows_fitted_before
from .params import check_fit_inputs, check_new_rows, check_params, check_snapshots, fit_neighbors
from .training_run import run_training


class ContinuedTraining:
    """``partial_fit``: more training for a fitted model, old map held by landmarks."""

    def partial_fit(self, X: Any, y: Any = None, *, landmarks: Any = "auto",
                    graph: NeighborGraph | None = None,
                    knn: tuple[np.ndarray, np.ndarray] | None = None,
                    controls: TrainingControls | None = None,
                    callback: Callable[[Snapshot], None] | None = None,
                    snapshot_embedding: str | int | None = None,
                    snapshot_interval: float = deprecations.SNAPSHOT_INTERVAL):
        """Train the fitted networks further on ``X``: the rows fitted before and new ones.

        On a model not fitted yet this is ``fit``. A fitted model goes on from its
        current networks for ``n_epochs`` more epochs (None: until the map has
        converged) with a fresh learning-rate decay; the neighbour graph is built
        over all rows of ``X`` (``graph_`` is kept when ``X`` holds just the rows
        fitted before). The landmark loss, weighted by ``landmark_weight``, pulls
        held rows back to their positions, so the old map stays readable while new
        rows find their places. Afterwards ``landmark_displacement_`` says how far
        the held rows moved (median, after Procrustes alignment, in units of the
        old map's neighbour distance, ``landmark_scale_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or images (n, h, w[, c])
            All rows to train on, with the features the model was fitted on. To hold
            the old map by default, begin with the rows fitted before, in their order
            (``np.vstack([X_fitted, X_new])``).
        y : array-like of shape (n_samples,), optional
            Class codes of the rows of ``X``, -1 (or NaN) for unlabelled ones: the
            classes become those labelled here and the classifier head trains on
            them (outputs are added for new classes; the classes it learned keep
            theirs). None: the head, if any, is kept as it is and not trained.
        landmarks : "auto", array-like of shape (n_samples, n_components) or None, default="auto"
            Rows held on the map. "auto": the rows fitted before, at ``embedding_``,
            when ``X`` begins with them (checked by embedding a sample of them again;
            a warning says when it does not); an array: the position each row is
            held at, NaN for a free row (umap-learn's ``landmark_positions``); None:
            no row is held.
        graph : NeighborGraph, optional
            A graph of ``X`` built before: the search is skipped.
        knn : tuple (indices, distances), optional
            A precomputed kNN of ``X``, each of shape (n_samples, n_neighbors).
        controls : TrainingControls, optional
            Live controls another thread may change while this runs
            (``landmark_weight`` among them).
        callback : callable, optional
            Receives a :class:`~pumap_core.Snapshot` every ``snapshot_interval``
            seconds and at the end.
        snapshot_embedding : "all", int or None, default=None
            Rows whose current map snapshots carry: all, a random sample of this
            many, or none.
        snapshot_interval : float, default=0.5
            Seconds between snapshots.

        Returns
        -------
        self : ParametricUMAP
        """
        run = dict(graph=graph, knn=knn, controls=controls, callback=callback,
                   snapshot_embedding=snapshot_embedding, snapshot_interval=snapshot_interval)
        if not self.__sklearn_is_fitted__():
            if landmarks is not None and not isinstance(landmarks, str):
                raise ValueError("landmarks= positions hold rows of a fitted map; this model "
                                 "is not fitted yet: fit it first")
            return self.fit(X, y, **run)
        check_params(self)
        check_snapshots(snapshot_embedding, snapshot_interval)
        X = self._as_fitted(check_new_rows(self, X))  # raw rows scaled as at fit
        labels = check_labels(y, X.shape[0])
        positions = landmark_positions(self, X, landmarks)
        self.n_neighbors_ = fit_neighbors(self.n_neighbors, X.shape[0])
        check_fit_inputs(self, X, self.image_shape_, graph, knn)
        self._fitting_rows = X
        self.a_, self.b_ = find_ab_params(self.min_dist, self.spread)
        self.graph_ = graph if graph is not None else self._graph_over(X, knn)
        seed = fitting.seed_of(self.random_state)
        if labels is not None and (labels >= 0).any():
            self.classes_ = np.unique(labels[labels >= 0])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.classifier_ = fitting.classifier_head(self, self.encoder_, labels,
                                                       self.classifier_)
        self.n_epochs_ = fitting.resolve_epochs(self)
        self.training_labels_ = labels
        data = fitting.training_data(self, X, fitting.encoder_inputs(self, X), labels)
        if positions is not None:
            data.landmarks = landmark_data(positions, self.device_)
        self.n_landmarks_ = 0 if positions is None else int(np.isfinite(positions).all(1).sum())
        self.landmark_scale_ = None if positions is None else data.landmarks.scale
        run_training(self, data, seed, labels, controls, callback, snapshot_embedding,
                     snapshot_interval, stage="continued")
        self.landmark_displacement_ = self._held_displacement(positions)
        return self

    def _graph_over(self, X: np.ndarray, knn: tuple | None) -> NeighborGraph:
        """The fitted graph when ``X`` holds just the rows it was built on, else a new one."""
        old = getattr(self, "graph_", None)
        if (knn is None and old is not None and old.n_vertices == X.shape[0]
                and (old.n_neighbors, old.metric) == (self.n_neighbors_, self.metric)
                and rows_fitted_before(self, X) == X.shape[0]):
            return old
        return build_graph(X, self.n_neighbors_, self.metric, knn=knn,
                           knn_method=self.knn_method, random_state=self.random_state,
                           device=self.device_)

    def _held_displacement(self, positions: np.ndarray | None) -> float | None:
        """Median distance the held rows moved (Procrustes-aligned, in landmark units)."""
        if positions is None:
            return None
        held = np.isfinite(positions).all(1)
        return median_displacement(positions[held], self.embedding_[held], self.landmark_scale_)
