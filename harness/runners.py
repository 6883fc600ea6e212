"""The methods the benchmarks compare, behind one small interface.

Each runner fits on training rows and embeds new rows; :meth:`Runner.fit`
returns a :class:`Fitted` with the graph time (where it can be separated),
the fit time *including* the graph, the training embedding and, for the
parametric methods, snapshots of a fixed subsample taken while training
(for the trustworthiness-over-time curve).

- :class:`Ours` — ``pumap_core.ParametricUMAP`` (defaults, ``random_state`` fixed);
- :class:`UMAPLearn` — umap-learn's ``UMAP`` (defaults);
- :class:`PCARunner` — scikit-learn's ``PCA(2)``;
- :class:`harness.keras_peer.KerasPUMAP` — umap-learn's ``ParametricUMAP``
  (TensorFlow), optional (extra ``bench-keras``); :meth:`Runner.unavailable`
  says why it cannot run.

The estimators themselves come from :mod:`harness.methods`, as in the experiments.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.data import subsample_rows
from harness.methods import import_umap_without_tensorflow, ours, pca, umap_learn
from harness.umap_clock import umap_learn_clock

#: Snapshot rows for the trustworthiness-over-time curve.
CURVE_ROWS = 2000


@dataclass
class Snap:
    """The embedding of the curve rows, ``seconds`` after fit was called (graph included)."""

    seconds: float
    embedding: np.ndarray


@dataclass
class Fitted:
    """What one fit produced."""

    fit_s: float  # wall time of the whole fit, graph included
    embedding: np.ndarray  # the training rows' embedding
    graph_s: float | None = None  # kNN + fuzzy graph, where separable
    curve_rows: np.ndarray | None = None  # rows of the training data the snapshots embed
    snaps: list[Snap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Runner:
    """One method: ``fit`` on training rows, ``transform`` new ones."""

    name: str = ""
    label: str = ""
    #: warm transform repeats are capped at this (umap-learn's transform is slow).
    max_transform_repeats: int = 100

    def unavailable(self) -> str | None:
        """Why this method cannot run here (e.g. "not installed"), or None."""
        return None

    def prepare(self) -> None:
        """Import what the method needs, outside its timed and memory-measured phase."""

    def fit(self, X: np.ndarray, curve_rows: np.ndarray | None = None) -> Fitted:
        raise NotImplementedError

    def transform(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def settings(self) -> str:
        """The non-default settings this run used, for the report."""
        return "defaults"


def default_curve_rows(n: int, size: int = CURVE_ROWS, seed: int = 0) -> np.ndarray:
    """A fixed, sorted subsample of ``size`` rows (all rows when n <= size)."""
    return subsample_rows(n, size, seed)


# --------------------------------------------------------------------- ours
class Ours(Runner):
    """``pumap_core.ParametricUMAP`` with its defaults and a fixed seed.

    The graph is built (and timed) first with ``pumap_core.graph.build_graph``
    and the same arguments the estimator uses, then handed to ``fit(X, graph=...)``,
    so fit time = graph time + training time.
    """

    name = "ours"
    label = "ours (pumap_core)"

    def __init__(self, n_epochs: int | None = None, random_state: int = 0,
                 snapshot_interval: float = 1.0) -> None:
        self.n_epochs = n_epochs
        self.random_state = random_state
        self.snapshot_interval = snapshot_interval
        self.model: Any = None

    def settings(self) -> str:
        epochs = "auto" if self.n_epochs is None else str(self.n_epochs)
        return f"defaults, random_state={self.random_state}, n_epochs={epochs}"

    def prepare(self) -> None:
        import torch._dynamo  # noqa: F401  (imported by the first Adam: ~2 s here)

        import pumap_core.graph  # noqa: F401
        import pumap_core.model.estimator  # noqa: F401

    def _model(self) -> Any:
        return ours(n_epochs=self.n_epochs, seed=self.random_state)

    def fit(self, X: np.ndarray, curve_rows: np.ndarray | None = None) -> Fitted:
        from pumap_core.graph import build_graph

        model = self._model()
        p = model.get_params()
        snaps: list[Snap] = []
        rows: list[np.ndarray] = []
        t0 = time.perf_counter()
        graph = build_graph(X, p["n_neighbors"], p["metric"], knn_method=p["knn_method"],
                            random_state=p["random_state"])
        graph_s = time.perf_counter() - t0

        def record(snapshot: Any) -> None:
            if snapshot.embedding is not None:
                snaps.append(Snap(time.perf_counter() - t0, np.array(snapshot.embedding)))
                if not rows:
                    rows.append(np.asarray(snapshot.embedding_index))

        model.fit(X, graph=graph, callback=record, snapshot_embedding=CURVE_ROWS,
                  snapshot_interval=self.snapshot_interval)
        fit_s = time.perf_counter() - t0
        self.model = model
        notes = [f"n_epochs={model.n_epochs_} ({len(graph.edges):,} graph edges)"]
        used_rows = rows[0] if rows else None
        if used_rows is None or len(used_rows) == 0:  # embedding_index None means all rows
            used_rows = np.arange(X.shape[0])
        return Fitted(fit_s=fit_s, embedding=model.embedding_, graph_s=graph_s,
                      curve_rows=used_rows, snaps=snaps, notes=notes)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.model.transform(X)


# --------------------------------------------------------------- umap-learn
def _fit_umap_learn(model: Any, X: np.ndarray) -> tuple[float, float | None]:
    """Fit a umap-learn estimator; ``(fit seconds, graph seconds)``."""
    with umap_learn_clock(model) as clock:
        model.fit(X)
        fit_s = clock.elapsed()
    return fit_s, clock.graph_done


class UMAPLearn(Runner):
    """umap-learn's non-parametric ``UMAP`` with its defaults.

    No ``random_state``: umap-learn turns off its parallel code when one is set.
    """

    name = "umap"
    label = "umap-learn UMAP"

    def __init__(self, n_epochs: int | None = None, max_transform_repeats: int = 2) -> None:
        self.n_epochs = n_epochs
        self.max_transform_repeats = max_transform_repeats
        self.model: Any = None

    def settings(self) -> str:
        return "defaults" if self.n_epochs is None else f"defaults, n_epochs={self.n_epochs}"

    def prepare(self) -> None:
        import_umap_without_tensorflow()

    def fit(self, X: np.ndarray, curve_rows: np.ndarray | None = None) -> Fitted:
        self.model = umap_learn(n_epochs=self.n_epochs, seed=None)
        fit_s, graph_s = _fit_umap_learn(self.model, X)
        return Fitted(fit_s=fit_s, embedding=np.asarray(self.model.embedding_), graph_s=graph_s)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.transform(X))


# ---------------------------------------------------------------------- PCA
class PCARunner(Runner):
    """scikit-learn's ``PCA(n_components=2)``."""

    name = "pca"
    label = "scikit-learn PCA"

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state
        self.model: Any = None

    def settings(self) -> str:
        return f"n_components=2, random_state={self.random_state}"

    def prepare(self) -> None:
        import sklearn.decomposition  # noqa: F401

    def fit(self, X: np.ndarray, curve_rows: np.ndarray | None = None) -> Fitted:
        self.model = pca(2, self.random_state)
        t0 = time.perf_counter()
        self.model.fit(X)
        fit_s = time.perf_counter() - t0
        return Fitted(fit_s=fit_s, embedding=self.model.transform(X))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.model.transform(X)
