"""Worker: one browser session's background threads and the slots they fill.

No Panel, no Bokeh: worker threads (data loading, graph building, training)
write their results into lock-protected slots here; the session state's
periodic poll *takes* them (see :class:`app.state.SessionState`). Controls flow
the other way through :class:`pumap_core.TrainingControls`, read by the loop
between steps.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import numpy as np

from pumap_core import ParametricUMAP, Snapshot, TrainingControls

from . import prepare
from .added import Added, check_features, embed_rows
from .continuing import ContinuedRuns
from .dask_map import DaskMap, is_embedding_table
from .faces import check_model_fits, fit_input, load_options, preset
from .graphs import graph_for_model
from .progress import LossPoint

log = logging.getLogger(__name__)

#: torch threads for a training worker: two cores serve training *and* the page.
TORCH_THREADS = int(os.environ.get("PUMAP_APP_TORCH_THREADS", "1"))
#: new rows are re-embedded while training at most once per this many times their
#: embedding's duration: many rows cost the training thread at most ~1/(1+ratio) of its time
ADDED_COST_RATIO = 4.0
#: bigger data get only the preview: their graph takes minutes of both cores, built when
#: the person presses Train (most open them to look with a loaded model)
PREBUILD_MAX_ROWS = 200_000
def load_dataset(source: str, **options: Any):
    """``pumap_core.data.load`` with the app's choices for the named sets."""
    from pumap_core.data import load

    return load(source, **load_options(source, options))


class Worker(ContinuedRuns):
    """Data, model, worker threads and their newest results, for one user.

    ``phase`` is one of: empty, ready, training, paused, stopping, stopped,
    done, failed; ``loading`` is true while a data set loads; ``error`` holds
    the last failure's message. All public methods may be called from any thread.
    """

    def __init__(self, torch_threads: int = TORCH_THREADS) -> None:
        self._lock = threading.RLock()
        self.torch_threads = torch_threads
        self.dataset = None
        self.model: ParametricUMAP | None = None
        self.controls: TrainingControls | None = None
        self.phase = "empty"
        self.error: str | None = None
        self.history: list[LossPoint] = []
        self.loading = False
        self._graph_thread: threading.Thread | None = None
        self._graph_started = 0.0
        self.preview: np.ndarray | None = None
        self._new_rows = None  # a Dataset placed on the map
        self.added: Added | None = None  # its codes from the newest encoder
        self._thread: threading.Thread | None = None  # the training worker
        self._generation = 0
        self._fit_started = 0.0
        self._load_generation = 0
        self._latest: Snapshot | None = None
        self._fresh = False
        self._events: list[tuple[str, Any]] = []
        self._closed = False

    # -- data -------------------------------------------------------------
    def load(self, source: str, wait: bool = False, **options: Any) -> threading.Thread:
        """Load ``source`` in a background thread; training goes on until it succeeds.

        On failure the previous data (and training) stay and ``error`` says why.
        """
        with self._lock:
            self._load_generation += 1
            lgen = self._load_generation
            self.loading, self.error = True, None

        def work() -> None:
            try:
                table = is_embedding_table(source)  # a map as it is: no data set, no model
                loaded = DaskMap.open(source) if table else load_dataset(source, **options)
            except Exception as e:  # noqa: BLE001 - every failure is shown to the user
                with self._lock:
                    if lgen == self._load_generation:
                        self.loading, self.error = False, f"Could not load {source!r}: {e}"
                        self._events.append(("error", self.error))
                return
            with self._lock:
                if lgen != self._load_generation:
                    return
            (self.set_table if table else self.set_dataset)(loaded)
            with self._lock:
                self.loading = False

        thread = threading.Thread(target=work, name="pumap-load", daemon=True)
        thread.start()
        if wait:
            thread.join()
        return thread

    def set_dataset(self, ds, prebuild: bool = True) -> None:
        """Use an already loaded Dataset; with ``prebuild`` its default graph is built
        in the background."""
        with self._lock:
            running = self.phase in ("training", "paused", "stopping")
            stopped = self.dataset.name if running and self.dataset is not None else None
        self._replace_data(ds, "ready", ("dataset", (ds, stopped)))
        if not prebuild:
            return
        self._graph_started = time.monotonic()
        self._graph_thread = threading.Thread(target=self._prebuild, args=(ds,), daemon=True,
                                              name="pumap-graph")
        self._graph_thread.start()

    def set_table(self, table) -> None:
        """Show an embedding table (:class:`app.dask_map.DaskMap`): the run stops, data and
        model go."""
        self._replace_data(None, "empty", ("table", table))

    def _replace_data(self, ds, phase: str, event: tuple[str, Any]) -> None:
        """Stop the run; ``ds`` (None: an embedding table) replaces data, model and results."""
        self.stop(wait=True)
        with self._lock:
            self._generation += 1
            self.dataset, self.model, self._latest, self.history = ds, None, None, []
            self.phase, self.error, self.preview = phase, None, None
            self._new_rows = self.added = self.predictor = self.held = None
            self._events.append(event)

    def _prebuild(self, ds) -> None:
        """A PCA preview for the plot, then the default graph (kept in ``GRAPHS`` for
        fit), while the user looks at the page."""
        try:
            preview = prepare.pca_preview(ds.X)
            with self._lock:
                if self.dataset is ds:
                    self.preview = preview
                    self._events.append(("preview", preview))
            if ds.n_samples > PREBUILD_MAX_ROWS:
                return
            t0 = time.monotonic()
            # the graph of the data's preset (or the engine's defaults): what Train asks for
            graph_for_model(ds.X, ParametricUMAP(**preset(ds)))
            prepare.record(ds, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - fit will report it properly
            log.info("graph prebuild failed: %s", e)

    @property
    def preparing(self) -> bool:
        """True while the default graph is being built in the background."""
        t = self._graph_thread
        return t is not None and t.is_alive()

    def preparing_text(self) -> str:
        """What the graph builder is doing and for how long; '' when idle."""
        with self._lock:
            ds, latest, phase = self.dataset, self._latest, self.phase
        building = self.preparing
        fitting = phase == "training" and latest is None  # the run gets its graph first
        if ds is None or not (building or fitting):
            return ""
        since = self._graph_started if building else self._fit_started
        return prepare.progress_text(ds, building, time.monotonic() - since)

    # -- training ---------------------------------------------------------
    def start(self, wait: bool = False, snapshot_interval: float = 0.5,
              labels: np.ndarray | None = None, **params: Any) -> threading.Thread:
        """Train a new model on the current data with estimator ``params``, a snapshot
        of every row's map every ``snapshot_interval`` seconds; with ``labels`` (codes,
        -1 unlabelled) a classifier head learns beside the map."""
        if self.dataset is None:
            raise RuntimeError("load a data set before training")
        self.stop(wait=True)
        controls = TrainingControls()
        with self._lock:
            self._generation += 1
            gen = self._generation
            self.controls, self.model, self._latest, self._fresh = controls, None, None, False
            self.history, self.phase, self.error = [], "training", None
            self.predictor = self.held = None
            self._fit_started = time.monotonic()
            # the run this one replaces has said "finished": that is no news any more
            self._events = [e for e in self._events if e[0] != "finished"]
        rows, X = self.dataset.X, fit_input(self.dataset)

        def work() -> None:
            import torch

            torch.set_num_threads(self.torch_threads)
            try:
                model = ParametricUMAP(**params)
                with self._lock:
                    if gen == self._generation:
                        self.model = model  # clicks may decode while it trains
                # the prebuilt graph, or one another run or session built on this data
                graph = graph_for_model(rows, model)
                model.fit(X, labels, graph=graph, controls=controls,
                          callback=lambda s: self._labelled_snapshot(gen, model, s),
                          snapshot_embedding="all", snapshot_interval=snapshot_interval)
            except Exception as e:  # noqa: BLE001
                log.exception("training failed")
                self._fail(gen, f"Training failed: {e}")
                return
            self._finished(gen, model, controls)

        return self._spawn(work, wait, "pumap-train")

    def _on_snapshot(self, gen: int, snap: Snapshot) -> None:
        """Training thread: keep only the newest snapshot; never touch the page."""
        with self._lock:
            if gen != self._generation:
                return
            self._latest, self._fresh = snap, True
            self.history.append(LossPoint(snap.step, snap.epoch, snap.elapsed, dict(snap.losses),
                                          dict(snap.settings)))
            new_rows, model, last = self._new_rows, self.model, self.added
        due = (last is None or last.dataset is not new_rows or snap.done
               or time.monotonic() - last.at >= ADDED_COST_RATIO * last.seconds)
        if new_rows is not None and snap.embedding is not None and model is not None and due:
            # between two steps of this very thread: the encoder is not being changed
            added = embed_rows(model, new_rows, snap.step)
            with self._lock:
                if gen == self._generation and self._new_rows is new_rows:
                    self.added = added

    # -- new rows on the map ----------------------------------------------
    def add(self, source: str, wait: bool = False) -> threading.Thread:
        """Load ``source`` and place its rows on the map: at once with a finished model, at
        every snapshot while one trains. Failures become an "error" event."""

        def work() -> None:
            try:
                ds = load_dataset(source)
                with self._lock:
                    train, model, phase = self.dataset, self.model, self.phase
                if train is None or model is None:
                    raise RuntimeError("train a map first: new rows are placed by its encoder")
                check_features(model, train, ds)
                with self._lock:
                    self._new_rows, self.added = ds, None
                if phase not in ("training", "paused", "stopping"):
                    added = embed_rows(model, ds)
                    with self._lock:
                        if self._new_rows is ds:
                            self.added = added
            except Exception as e:  # noqa: BLE001 - every failure is shown to the user
                with self._lock:
                    self._events.append(("error", f"Could not add {source!r}: {e}"))

        thread = threading.Thread(target=work, name="pumap-add", daemon=True)
        thread.start()
        if wait:
            thread.join()
        return thread

    def clear_added(self) -> None:
        with self._lock:
            self._new_rows = self.added = None

    def update(self, **settings: float) -> None:
        """Change live settings; the running loop sees them at its next step.

        Raises KeyError / ValueError (from :func:`pumap_core.training.live.check_live_settings`)
        for an unknown name or a value out of bounds; the run goes on.
        """
        with self._lock:
            controls = self.controls
        if controls is not None and settings:
            controls.update(**settings)

    def pause(self) -> None:
        with self._lock:
            if self.controls is not None and self.phase == "training":
                self.controls.pause()
                self.phase = "paused"

    def resume(self) -> None:
        with self._lock:
            if self.controls is not None and self.phase == "paused":
                self.controls.resume()
                self.phase = "training"

    def stop(self, wait: bool = False, timeout: float = 30.0) -> None:
        """Ask the loop to stop; with ``wait``, join the worker."""
        with self._lock:
            thread, controls = self._thread, self.controls
            if controls is not None and self.phase in ("training", "paused"):
                controls.stop()
                self.phase = "stopping"
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def reset(self) -> None:
        """Stop and forget the model; keep the data."""
        self.stop(wait=True)
        with self._lock:
            self._generation += 1
            self.model, self.controls, self._latest, self.history = None, None, None, []
            self._new_rows = self.added = self.predictor = self.held = None
            self.phase = "ready" if self.dataset is not None else "empty"
            self.error = None
            self._events.append(("reset", None))

    def use_model(self, model: ParametricUMAP) -> np.ndarray:
        """Adopt a loaded model: embed the current data with it (raises on mismatch)."""
        if self.dataset is None:
            raise RuntimeError("load a data set first, then the model that was trained on it")
        check_model_fits(model, self.dataset)
        self.reset()
        Z = model.transform(fit_input(self.dataset))
        snap = Snapshot(step=0, epoch=0.0, n_epochs=0, elapsed=0.0, losses={},
                        settings={"min_dist": float(model.min_dist_)}, embedding=Z, done=True)
        with self._lock:
            self.model, self._latest, self._fresh, self.phase = model, snap, True, "done"
        self.publish_predictor(model)
        return Z

    # -- results for the page's own thread ---------------------------------
    def take_snapshot(self) -> Snapshot | None:
        """The newest snapshot if it was not taken yet, else None."""
        with self._lock:
            if not self._fresh:
                return None
            self._fresh = False
            return self._latest

    def take_events(self) -> list[tuple[str, Any]]:
        with self._lock:
            events, self._events = self._events, []
            return events

    def losses(self) -> list[LossPoint]:
        with self._lock:
            return list(self.history)

    @property
    def running(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        """Stop every worker and let go of the data and the model (browser tab closed)."""
        self._closed = True
        self.stop(wait=True, timeout=timeout)
        with self._lock:
            self._generation += 1  # whatever a straggling thread reports is dropped
            self.dataset = self.model = self.controls = self._latest = self.preview = None
            self._new_rows = self.added = self.predictor = self.held = None
            self.history, self._events = [], []

    # -- helpers ----------------------------------------------------------
    def _fail(self, gen: int, message: str) -> None:
        with self._lock:
            if gen == self._generation:
                self.phase, self.error = "failed", message
                self._events.append(("error", message))

    def _spawn(self, fn, wait: bool, name: str) -> threading.Thread:
        thread = threading.Thread(target=fn, name=name, daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()
        if wait:
            thread.join()
        return thread

    def wait(self, timeout: float = 60.0) -> bool:
        """Join the training worker; True when it has finished."""
        t = self._thread
        if t is not None:
            t.join(timeout)
        return t is None or not t.is_alive()

