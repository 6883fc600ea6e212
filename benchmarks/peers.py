"""The methods the core benchmark compares, behind one small interface.

Each runner fits on training rows and embeds new rows; :meth:`Runner.fit`
returns a :class:`Fitted` with the graph time (where it can be separated),
the fit time *including* the graph, the training embedding and, for the
parametric methods, snapshots of a fixed subsample taken while training
(for the trustworthiness-over-time curve).

- :class:`Ours` — ``pumap_core.ParametricUMAP`` (defaults, ``random_state`` fixed);
- :class:`UMAPLearn` — umap-learn's ``UMAP`` (defaults);
- :class:`PCARunner` — scikit-learn's ``PCA(2)``;
- :class:`KerasPUMAP` — umap-learn's ``ParametricUMAP`` (TensorFlow), optional
  (extra ``bench-keras``); :meth:`Runner.unavailable` says why it cannot run.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


# --------------------------------------------------------------------- ours
class Ours(Runner):
    """``pumap_core.ParametricUMAP`` with its defaults and a fixed seed.

    The graph is built (and timed) first with ``pumap_core.graph.build_graph``
    and the same arguments the estimator uses; ``fit`` then finds it in the
    graph cache (checked), so fit time = graph time + training time.
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

        import pumap_core.estimator  # noqa: F401
        import pumap_core.graph  # noqa: F401

    def _model(self) -> Any:
        from pumap_core import ParametricUMAP

        params: dict[str, Any] = {"random_state": self.random_state,
                                  "snapshot_embedding": CURVE_ROWS,
                                  "snapshot_interval": self.snapshot_interval}
        if self.n_epochs is not None:
            params["n_epochs"] = self.n_epochs
        return ParametricUMAP(**params)

    def fit(self, X: np.ndarray, curve_rows: np.ndarray | None = None) -> Fitted:
        from pumap_core.graph import build_graph, clear_graph_cache

        model = self._model()
        p = model.get_params()
        snaps: list[Snap] = []
        rows: list[np.ndarray] = []
        clear_graph_cache()  # a graph from an earlier run must not make this one look fast
        t0 = time.perf_counter()
        graph = build_graph(X, p["n_neighbors"], p["metric"], knn_method=p["knn_method"],
                            random_state=p["random_state"])
        graph_s = time.perf_counter() - t0

        def record(snapshot: Any) -> None:
            if snapshot.embedding is not None:
                snaps.append(Snap(time.perf_counter() - t0, np.array(snapshot.embedding)))
                if not rows:
                    rows.append(np.asarray(snapshot.embedding_index))

        model.fit(X, callback=record)
        fit_s = time.perf_counter() - t0
        self.model = model
        notes = [f"n_epochs={model.n_epochs_} ({len(graph.edges):,} graph edges)"]
        if model.graph_ is not graph:
            notes.append("graph cache missed: fit rebuilt the graph, so fit time counts it twice")
        used_rows = rows[0] if rows else None
        if used_rows is None or len(used_rows) == 0:  # embedding_index None means all rows
            used_rows = np.arange(X.shape[0])
        return Fitted(fit_s=fit_s, embedding=model.embedding_, graph_s=graph_s,
                      curve_rows=used_rows, snaps=snaps, notes=notes)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.model.transform(X)


# --------------------------------------------------------------- umap-learn
def import_umap_without_tensorflow() -> None:
    """``import umap`` without TensorFlow.

    umap-learn's ``__init__`` imports its ParametricUMAP, hence TensorFlow
    (~15 s and ~1 GB RSS here) whenever TensorFlow is installed. The plain
    UMAP needs none of it, so TensorFlow is hidden for that import;
    ``umap.parametric_umap`` still imports normally later.
    """
    if "umap" in sys.modules:
        return
    hidden = "tensorflow" not in sys.modules
    if hidden:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # import -> ImportError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap  # noqa: F401
    finally:
        if hidden:
            del sys.modules["tensorflow"]


def _time_graph(model: Any, t0: list[float]) -> list[float]:
    """Record when umap-learn's fit leaves the graph stage.

    ``UMAP.fit`` builds the kNN and fuzzy graph, then calls
    ``self._fit_embed_data`` (spectral init + SGD, or the Keras training);
    wrapping that bound method on the instance timestamps the hand-over.
    """
    marks: list[float] = []
    inner = model._fit_embed_data

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        marks.append(time.perf_counter() - t0[0])
        return inner(*args, **kwargs)

    model._fit_embed_data = wrapped
    return marks


def _fit_umap_learn(model: Any, X: np.ndarray) -> tuple[float, float | None]:
    """Fit a umap-learn estimator; ``(fit seconds, graph seconds)``."""
    t0 = [time.perf_counter()]
    marks = _time_graph(model, t0)
    t0[0] = time.perf_counter()
    model.fit(X)
    fit_s = time.perf_counter() - t0[0]
    del model._fit_embed_data  # back to the class method (keeps the model picklable)
    return fit_s, (marks[0] if marks else None)


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
        import umap

        self.model = umap.UMAP(n_epochs=self.n_epochs)
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
        from sklearn.decomposition import PCA

        self.model = PCA(n_components=2, random_state=self.random_state)
        t0 = time.perf_counter()
        self.model.fit(X)
        fit_s = time.perf_counter() - t0
        return Fitted(fit_s=fit_s, embedding=self.model.transform(X))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.model.transform(X)


# ------------------------------------------------ umap-learn ParametricUMAP
def tensorflow_missing() -> str | None:
    """None when TensorFlow imports, else a short reason for the tables."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return "not installed (pip install -e '.[bench-keras]')"
    except Exception as exc:  # a broken install: say so instead of crashing the run
        return f"TensorFlow fails to import: {type(exc).__name__}: {exc}"
    return None


def _keras_snapshot_callback(get_encoder: Callable[[], Any], X_rows: np.ndarray,
                             t0: list[float], interval: float, budget_s: float | None,
                             snaps: list[Snap], stopped: list[float]) -> Any:
    """A Keras callback: embed ``X_rows`` every ``interval`` s; stop after ``budget_s``."""
    import keras

    class Snapshots(keras.callbacks.Callback):
        last = -np.inf

        def _snap(self) -> None:
            Z = keras.ops.convert_to_numpy(get_encoder()(X_rows, training=False))
            snaps.append(Snap(time.perf_counter() - t0[0], np.asarray(Z)))

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            now = time.perf_counter()
            if now - self.last >= interval:
                self.last = now
                self._snap()
            if budget_s is not None and now - t0[0] >= budget_s and not stopped:
                stopped.append(now - t0[0])
                self.model.stop_training = True

        def on_train_end(self, logs: Any = None) -> None:
            self._snap()

    return Snapshots()


class KerasPUMAP(Runner):
    """umap-learn's ``ParametricUMAP`` (Keras 3 on TensorFlow), its defaults.

    ``budget_s`` stops training after that many seconds from the start of
    fit (the model then embeds with what it learned; the notes say so).
    """

    name = "keras-pumap"
    label = "umap-learn ParametricUMAP (Keras)"

    def __init__(self, n_epochs: int | None = None, budget_s: float | None = None,
                 snapshot_interval: float = 1.0, threads: int = 2) -> None:
        self.n_epochs = n_epochs
        self.budget_s = budget_s
        self.snapshot_interval = snapshot_interval
        self.threads = threads
        self.model: Any = None

    def unavailable(self) -> str | None:
        return tensorflow_missing()

    def settings(self) -> str:
        parts = ["defaults"]
        if self.n_epochs is not None:
            parts.append(f"n_epochs={self.n_epochs}")
        if self.budget_s is not None:
            parts.append(f"stopped after {self.budget_s:g} s")
        return ", ".join(parts)

    def prepare(self) -> None:
        """Import TensorFlow and set its thread pools (only possible before it starts)."""
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(self.threads)
            tf.config.threading.set_inter_op_parallelism_threads(self.threads)
        except RuntimeError:  # already initialised in this process: keep its setting
            pass
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap.parametric_umap  # noqa: F401

    def fit(self, X: np.ndarray, curve_rows: np.ndarray | None = None) -> Fitted:
        from umap.parametric_umap import ParametricUMAP

        rows = default_curve_rows(X.shape[0]) if curve_rows is None else curve_rows
        snaps: list[Snap] = []
        stopped: list[float] = []
        t0 = [time.perf_counter()]
        holder: list[Any] = []
        callback = _keras_snapshot_callback(lambda: holder[0].encoder, X[rows], t0,
                                            self.snapshot_interval, self.budget_s, snaps, stopped)
        model = ParametricUMAP(n_epochs=self.n_epochs,
                               keras_fit_kwargs={"callbacks": [callback], "verbose": 0})
        holder.append(model)
        marks = _time_graph(model, t0)
        t0[0] = time.perf_counter()
        model.fit(X)
        fit_s = time.perf_counter() - t0[0]
        del model._fit_embed_data
        self.model = model
        notes = []
        if stopped:
            notes.append(f"training stopped at the {self.budget_s:g} s budget "
                         f"(its full default schedule would run longer)")
        return Fitted(fit_s=fit_s, embedding=np.asarray(model.embedding_),
                      graph_s=marks[0] if marks else None, curve_rows=rows, snaps=snaps,
                      notes=notes)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.transform(X))
