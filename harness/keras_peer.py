"""umap-learn's ``ParametricUMAP`` (Keras 3 on TensorFlow) as a runner.

Optional: it needs the ``bench-keras`` extra; :meth:`KerasPUMAP.unavailable`
says why it cannot run. Kept apart so that TensorFlow is only imported where
this peer is really wanted.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from harness.runners import Fitted, Runner, Snap, default_curve_rows
from harness.umap_clock import UmapClock, umap_learn_clock


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
                             clock: UmapClock, interval: float, budget_s: float | None,
                             snaps: list[Snap], stopped: list[float]) -> Any:
    """A Keras callback: embed ``X_rows`` every ``interval`` s; stop after ``budget_s``."""
    import keras

    class Snapshots(keras.callbacks.Callback):
        last = -np.inf

        def _snap(self) -> None:
            Z = keras.ops.convert_to_numpy(get_encoder()(X_rows, training=False))
            snaps.append(Snap(clock.elapsed(), np.asarray(Z)))

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            now = time.perf_counter()
            if now - self.last >= interval:
                self.last = now
                self._snap()
            if budget_s is not None and now - clock.start >= budget_s and not stopped:
                stopped.append(now - clock.start)
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
        clock = UmapClock(start=time.perf_counter())
        holder: list[Any] = []
        callback = _keras_snapshot_callback(lambda: holder[0].encoder, X[rows], clock,
                                            self.snapshot_interval, self.budget_s, snaps, stopped)
        model = ParametricUMAP(n_epochs=self.n_epochs,
                               keras_fit_kwargs={"callbacks": [callback], "verbose": 0})
        holder.append(model)
        with umap_learn_clock(model, clock):
            model.fit(X)
            fit_s = clock.elapsed()
        self.model = model
        notes = []
        if stopped:
            notes.append(f"training stopped at the {self.budget_s:g} s budget "
                         f"(its full default schedule would run longer)")
        return Fitted(fit_s=fit_s, embedding=np.asarray(model.embedding_),
                      graph_s=clock.graph_done, curve_rows=rows, snaps=snaps,
                      notes=notes)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.transform(X))
