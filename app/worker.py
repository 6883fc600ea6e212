"""Worker: one browser session's background threads and the slots they fill.

No Panel, no Bokeh: worker threads (data loading, graph building, training)
write their results into lock-protected slots here; the session state's
periodic poll *takes* them (see :class:`app.state.SessionState`). Controls flow
the other way through :class:`pumap_core.TrainingControls`, read by the loop
between steps. The page never touches the model being trained: with each
snapshot the training thread publishes a copy (:mod:`app.published`), and
``model`` is the newest copy until the run ends.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import numpy as np

from pumap_core import ParametricUMAP, Snapshot, TrainingControls

from .added import Added, embed_rows
from .continuing import ContinuedRuns
from .faces import check_model_fits, fit_input
from .graphs import graph_for_model
from .progress import LossPoint
from .published import frozen_copy
from .run_progress import RunProgress
from .worker_data import PREBUILD_MAX_ROWS, RUN_PHASES, DataSlots, load_dataset  # noqa: F401

log = logging.getLogger(__name__)

#: torch threads for a training worker: two cores serve training *and* the page.
TORCH_THREADS = int(os.environ.get("PUMAP_APP_TORCH_THREADS", "1"))
#: new rows are re-embedded while training at most once per this many times their
#: embedding's duration: many rows cost the training thread at most ~1/(1+ratio) of its time
ADDED_COST_RATIO = 4.0


class Worker(ContinuedRuns, DataSlots):
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
        self._fitting: ParametricUMAP | None = None  # the model being trained: never shown
        self.plan = None  # the current data's run plan (pumap_core.run_plan.RunPlan)
        self._planning: dict[int, threading.Lock] = {}  # by data set: one plan each

    # -- training ---------------------------------------------------------
    def start(self, wait: bool = False, snapshot_interval: float = 0.5,
              labels: np.ndarray | None = None, **params: Any) -> threading.Thread:
        """Train a new model on the current data: the data's run plan (its settings,
        :func:`pumap_core.run_plan.plan_run`) under estimator ``params``, a snapshot
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
            self._fitting = None
            self.predictor = self.held = None
            self._fit_started = time.monotonic()
            # the run this one replaces has said "finished": that is no news any more
            self._events = [e for e in self._events if e[0] != "finished"]
        ds = self.dataset
        rows, X = ds.X, fit_input(ds)

        def work() -> None:
            import torch

            torch.set_num_threads(self.torch_threads)
            try:
                plan = self.plan_for(ds) if ds.n_samples <= PREBUILD_MAX_ROWS else None
                settings = {**(plan.params if plan is not None else {}), **params}
                model = ParametricUMAP(**settings)
                with self._lock:
                    if gen == self._generation:
                        self._fitting = model
                # the prebuilt graph, or one another run or session built on this data
                graph = graph_for_model(rows, model)
                progress = RunProgress.for_model(model, graph, plan)
                model.fit(X, labels, graph=graph, controls=controls, input_scale=ds.scale,
                          callback=lambda s: self._labelled_snapshot(gen, progress(s)),
                          snapshot_embedding="all", snapshot_interval=snapshot_interval)
            except Exception as e:  # noqa: BLE001
                log.exception("training failed")
                self._fail(gen, f"Training failed: {e}")
                return
            self._finished(gen, model, controls)

        return self._spawn(work, wait, "pumap-train")

    def _on_snapshot(self, gen: int, snap: Snapshot) -> None:
        """Training thread, between two steps: keep the newest snapshot and publish a copy
        of the networks that produced it; never touch the page."""
        with self._lock:
            if gen != self._generation:
                return
            fitting = self._fitting
        published = frozen_copy(fitting) if fitting is not None else None
        if published is not None:
            published.published_step = snap.step
        with self._lock:
            if gen != self._generation:
                return
            if published is not None:
                self.model = published
            self._latest, self._fresh = snap, True
            self.history.append(LossPoint(snap.step, snap.epoch, snap.elapsed, dict(snap.losses),
                                          dict(snap.settings)))
            new_rows, model, last = self._new_rows, self.model, self.added
        due = (last is None or last.dataset is not new_rows or snap.done
               or time.monotonic() - last.at >= ADDED_COST_RATIO * last.seconds)
        if new_rows is not None and snap.embedding is not None and model is not None and due:
            added = embed_rows(model, new_rows, snap.step)
            with self._lock:
                if gen == self._generation and self._new_rows is new_rows:
                    self.added = added

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
            self._new_rows = self.added = self._fitting = self.predictor = self.held = None
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
        self.publish_predictor(model.frozen_copy())  # a copy: a later run trains the model
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
    def run(self) -> int:
        """Changes with every new run, reset, loaded model or data set: what a model's
        attribute directions belong to (published copies of one run share it)."""
        return self._generation

    @property
    def running(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        """Stop every worker and let go of the data and the model (browser tab closed)."""
        self._closed = True
        self.stop(wait=True, timeout=timeout)
        graph = self._graph_thread
        if graph is not None and graph is not threading.current_thread():
            graph.join(timeout)  # its graph and plan are short; torch must not run at exit
        with self._lock:
            self._generation += 1  # whatever a straggling thread reports is dropped
            self.dataset = self.model = self.controls = self._latest = self.preview = None
            self._new_rows = self.added = self._fitting = self.plan = None
            self.predictor = self.held = None
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

