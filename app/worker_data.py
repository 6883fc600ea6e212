"""The worker's data side: loading a data set in the background, its PCA preview, graph
and run plan while the person looks at the page, and new rows placed on the map.

A mixin of :class:`app.worker.Worker` (it shares the worker's lock, slots and
events); no Panel, no Bokeh.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from pumap_core import ParametricUMAP

from . import prepare
from .added import check_features, embed_rows
from .dask_map import DaskMap, is_embedding_table
from .data_choices import display_name
from .faces import load_options, preset
from .graphs import graph_for_model

log = logging.getLogger(__name__)

#: bigger data get only the preview: their graph takes minutes of both cores, built when
#: the person presses Train (most open them to look with a loaded model)
PREBUILD_MAX_ROWS = 200_000
RUN_PHASES = ("training", "paused", "stopping")
#: snapshot spacing. Each frame costs the server ~0.1 s of shading whatever the size, and
#: large data ~0.2 s more of the training thread for the full embedding: about 2.5-3 frames/s.
FRAME_INTERVAL = ((20_000, 0.35), (None, 0.4))


def frame_interval(n_rows: int) -> float:
    """Seconds between snapshots of a run on ``n_rows`` rows."""
    return next(t for limit, t in FRAME_INTERVAL if limit is None or n_rows <= limit)


def load_dataset(source: str, **options: Any):
    """``pumap_core.data.load`` with the app's choices (and names) for the named sets."""
    from pumap_core.data import load

    ds = load(source, **load_options(source, options))
    ds.name = display_name(source, ds.name)
    return ds


class DataSlots:
    """Loading, preview, graph, plan and new rows, for :class:`app.worker.Worker`."""

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
        """Use an already loaded Dataset; with ``prebuild`` its default graph and run plan
        are made in the background."""
        with self._lock:
            running = self.phase in RUN_PHASES
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
            self.phase, self.error, self.preview, self.plan = phase, None, None, None
            self._planning = {}
            self._new_rows = self.added = self.predictor = self.held = None
            self._events.append(event)

    def _prebuild(self, ds) -> None:
        """A PCA preview for the plot, then the default graph (kept in ``GRAPHS`` for
        fit) and the run plan, while the user looks at the page."""
        try:
            preview = prepare.pca_preview(ds.X)
            with self._lock:
                if self.dataset is ds:
                    self.preview = preview
                    self._events.append(("preview", preview))
            if ds.n_samples > PREBUILD_MAX_ROWS:
                return
            self.plan_for(ds)
        except Exception as e:  # noqa: BLE001 - fit will report it properly
            log.info("graph prebuild failed: %s", e)

    def plan_for(self, ds):
        """The run plan of ``ds`` (:func:`pumap_core.run_plan.plan_run`), made once: its
        graph (the preset's, what Train asks for), then the measured cost of its steps."""
        from pumap_core.run_plan import plan_run

        with self._lock:  # one plan per data set: Train pressed meanwhile waits for it
            planning = self._planning.setdefault(id(ds), threading.Lock())
        with planning:
            with self._lock:
                if self.plan is not None and self.dataset is ds:
                    return self.plan
            return self._make_plan(ds, plan_run)

    def _make_plan(self, ds, plan_run):
        t0 = time.monotonic()
        graph = graph_for_model(ds.X, ParametricUMAP(**preset(ds)))
        prepare.record(ds, time.monotonic() - t0)
        plan = plan_run(ds, graph, snapshot_interval=frame_interval(ds.n_samples))
        with self._lock:
            if self.dataset is ds:
                self.plan = plan
                self._events.append(("plan", plan))
        return plan

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
                if phase not in RUN_PHASES:
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
