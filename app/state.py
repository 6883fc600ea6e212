"""SessionState: one browser session's state, as parameters, and its actions, as methods.

Widgets edit the parameters and call the methods; views are functions of the
parameters. Background work (loading, graph, training) runs in the session's
Panel-free :class:`~app.worker.Worker`; :meth:`SessionState.poll`, called by the
page's periodic callback, is the only code that moves its results in here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import numpy as np
import param

from pumap_core import ParametricUMAP
from pumap_core.training.live import LIVE

from . import faces
from .added import Shown, added_messages
from .colors import LABEL, default_color_by
from .data_root import ROOT, OutsideRoot
from .frame import Frame
from .model_transfer import UPLOAD_ERRORS, model_from_bytes, model_to_bytes
from .progress import progress_of
from .quality import QualityMonitor
from .state_inspect import Inspecting
from .state_labels import Labelling
from .worker import Worker
from .worker_data import FRAME_INTERVAL, frame_interval  # noqa: F401 - FRAME_INTERVAL re-exported

log = logging.getLogger(__name__)

#: the engine's own defaults: the app starts from the same settings as a script
ENGINE = ParametricUMAP().get_params()
#: phases in which a run holds the worker
RUNNING = ("training", "paused", "stopping")
#: reconstruction (so clicks decode) is on by default up to this many values (rows ×
#: features), MNIST and CelebA included (the decoder sees 256 rows a step: 1.25-1.45× a step)
RECONSTRUCTION_AUTO_LIMIT = 100_000_000


#: settings a run plan (or a data set's preset) chooses, shown in the sidebar
PLANNED = ("learning_rate", "min_dist", "global_correlation_weight", "reconstruction_weight",
           "batch_size", "n_neighbors")


def live_parameter(name: str, **overrides) -> param.Number:
    """A parameter for the engine's live setting ``name``: default, bounds, slider range
    and doc all come from :data:`pumap_core.training.live.LIVE`."""
    s = LIVE[name]
    return param.Number(default=overrides.pop("default", ENGINE[name]), bounds=s.bounds, softbounds=s.soft_bounds,
                        label=s.label or name, doc=s.doc, **overrides)


class SessionState(Inspecting, Labelling, param.Parameterized):
    # -- data ---------------------------------------------------------------
    source = param.String(default="digits", doc="What the data set was opened from: a built-in "
                          "name or a path (a load() source).")
    sources = param.Dict(default={"digits (1,797 · 8×8)": "digits"},
                         doc="Chooser label -> load() source.")
    dataset = param.Parameter(default=None, doc="The loaded pumap_core Dataset.")
    added = param.Parameter(default=None, doc="app.added.Added: new rows placed on the map.")
    shown = param.Parameter(default=None,
                            doc="What the map's row indices mean: dataset, then added rows.")
    dataset_info = param.String(default="", doc="One line about the loaded data.")
    loading = param.String(default="", doc="The source being loaded, '' when none.")
    preparing = param.String(default="", doc="What the graph builder is doing, '' when idle.")
    preview = param.Parameter(default=None, doc="A PCA Frame to show until the first embedding.")
    table = param.Parameter(default=None,
                            doc="app.table_map.MapTable: an opened embedding table, shown as it is.")

    # -- training settings (fixed for a run) -------------------------------
    n_neighbors = param.Integer(default=ENGINE["n_neighbors"], bounds=(2, 200),
                                softbounds=(2, 100), label="Neighbours per point",
                                doc="n_neighbors: how many nearest neighbours each point's "
                                    "neighbourhood graph keeps (the graph is cached per data set)")
    n_epochs = param.Integer(default=0, bounds=(0, 2000), doc="0 = automatic.")
    reconstruction = param.Boolean(default=True, doc="Train a decoder (click to decode).")
    batch_size = param.Integer(default=None, allow_None=True, bounds=(64, 16384),
                               doc="Edges a training step; None = the engine's automatic "
                                   "choice (256 on the CPU, more on a GPU).")
    random_state = param.Integer(default=None, allow_None=True)

    # -- live settings (reach the running loop at its next step) ------------
    learning_rate = live_parameter("learning_rate")
    min_dist = live_parameter("min_dist", step=0.01)
    global_correlation_weight = live_parameter("global_correlation_weight", step=0.01)
    reconstruction_weight = live_parameter("reconstruction_weight", step=0.05)
    classifier_weight = live_parameter("classifier_weight", step=0.05, default=1.0)
    landmark_weight = live_parameter("landmark_weight", step=0.05)

    # -- what the session shows ---------------------------------------------
    model = param.Parameter(default=None, doc="The model being trained, or the last one.")
    phase = param.String(default="empty")
    error = param.String(default="", doc="Last error, shown in the page.")
    warning = param.String(default="", doc="Something that worked but needs a look.")
    notice = param.String(default="", doc="Last non-error message.")
    plan = param.Parameter(default=None, doc="The data's run plan: settings, expected time.")
    color_by = param.Selector(default=LABEL, objects=[LABEL])
    frame = param.Parameter(default=None, doc="The newest embedding frame (app.frame.Frame).")
    progress = param.Parameter(default=None, doc="The newest Snapshot, without its embedding.")
    fps = param.Number(default=0.0, doc="Frames per second shown, over the last few seconds.")
    losses = param.List(default=[], doc="LossPoints so far.")
    quality = param.Dict(default={}, doc="trustworthiness, distance_correlation, step, n.")
    selection = param.Array(default=np.zeros(0, dtype=np.int64), doc="Selected row indices.")
    click = param.Parameter(default=None, doc="app.decode.Click of the last click.")
    hover = param.Integer(default=-1, doc="Row under the cursor, -1 for none.")

    def __init__(self, worker: Worker | None = None, root=None, **params) -> None:
        super().__init__(**params)
        self.worker = worker or Worker()
        self.root = root or ROOT  # which paths the page may open
        self.quality_monitor = QualityMonitor()
        self._poll_lock = threading.Lock()
        self._frame_times: deque[float] = deque(maxlen=12)
        self._steering = None
        self._closed = False
        self._requested = ""  # the source of the load under way
        self._touched: set[str] = set()  # settings the person changed since the data loaded
        self._applying = False  # set while the state itself sets them
        self._init_labelling()
        self.param.watch(self._on_live, list(self.live_names()))
        self.param.watch(self._on_setting, list(PLANNED))

    @classmethod
    def live_names(cls) -> tuple[str, ...]:
        """The engine's live settings this state offers, in declaration order."""
        return tuple(name for name in LIVE if name in cls.param)

    def live_settings(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.live_names()}

    def training_params(self) -> dict:
        """Keyword arguments for ``ParametricUMAP`` for a new run."""
        return {"n_neighbors": self.n_neighbors, "n_epochs": self.n_epochs or None,
                "reconstruction": self.reconstruction, "batch_size": self.batch_size,
                "random_state": self.random_state, **self.live_settings()}

    # -- data ---------------------------------------------------------------
    def allowed(self, source: str) -> str | None:
        """``source`` as the path to open (a built-in name as it is), or None after
        saying why not: a path outside the server's data root (:mod:`app.data_root`)."""
        if source in self.sources.values():
            return source
        try:
            return self.root.resolve(source)
        except OutsideRoot as e:
            self.param.update(error=str(e), notice="")
            return None

    def load(self, source: str | None = None, wait: bool = False) -> None:
        """Load a built-in source or a path (in the background)."""
        source = (source or self.source).strip()
        if not source:
            self.error = "Type a path to a file or folder first."
            return
        path = self.allowed(source)
        if path is None:
            return
        self.param.update(error="", warning="", notice=f"Loading {source} …", loading=source)
        self._requested = source
        self.worker.load(path, wait=wait)

    def _on_setting(self, *events) -> None:
        if not self._applying:
            self._touched.update(e.name for e in events)

    def _apply(self, **values) -> None:
        """Set values the page shows for the data (not the person's choices)."""
        self._applying = True
        try:
            self.param.update(**values)
        finally:
            self._applying = False

    def _on_plan(self, plan) -> None:
        """The run plan arrived: the settings widgets show what Train will run, except
        what the person has changed meanwhile."""
        self._apply(plan=plan, **{k: v for k, v in plan.params.items()
                                  if k in PLANNED and k not in self._touched})

    def _on_dataset(self, ds, stopped: str | None) -> None:
        columns = [LABEL] if ds.labels is not None else []
        columns += [str(c) for c in ds.attributes.columns[:60]]
        columns = columns or ["(none)"]
        self.param.color_by.objects = columns
        shape = f" · images {'×'.join(map(str, ds.image_shape))}" if ds.image_shape else ""
        self.quality_monitor.reset(ds.n_samples)
        self._steering = None
        notice = f"Loaded {ds.name}."
        if stopped:
            notice = f"Training on {stopped} stopped to switch to {ds.name}. " + notice
        self._touched = set()
        self._apply(
            dataset=ds, shown=ds, added=None, model=None, loading="", preview=None, table=None,
            plan=None, warning="", source=self._requested or self.source,
            reconstruction=ds.n_samples * ds.n_features <= RECONSTRUCTION_AUTO_LIMIT,
            color_by=default_color_by(columns), frame=None, progress=None, losses=[], quality={}, click=None,
            hover=-1, selection=np.zeros(0, np.int64), notice=notice,
            **faces.shown_settings(ds, PLANNED, self.dataset),
            dataset_info=f"{ds.name}: {ds.n_samples:,} items × {ds.n_features:,} features{shape}")
        self._requested = ""

    def _on_table(self, table) -> None:
        """An embedding table opened: its map replaces data, model and frames."""
        from .table_map import MapTable

        shown = MapTable(map=table)
        self.param.color_by.objects = [LABEL] if table.label else ["(none)"]
        self.quality_monitor.reset(1)
        self._steering = None
        self.param.update(
            table=shown, dataset=None, shown=None, added=None, model=None, loading="",
            preview=None, frame=None, progress=None, losses=[], quality={}, click=None, hover=-1,
            plan=None, warning="",
            selection=np.zeros(0, np.int64), color_by=self.param.color_by.objects[0],
            notice=f"Opened the map {table.name}: {table.n_rows:,} rows.",
            dataset_info=shown.info())

    def add_data(self, source: str, wait: bool = False) -> None:
        """Place the rows of ``source`` (same features) on the map with the trained encoder."""
        source = (source or "").strip()
        if not source:
            self.error = "Type a path, or choose a data set, to place on the map."
            return
        if self.model is None:
            self.error = "Train a map first: new rows are placed by its encoder."
            return
        path = self.allowed(source)
        if path is None:
            return
        self.param.update(error="", warning="", notice=f"Placing {source} on the map …")
        self.worker.add(path, wait=wait)

    def clear_added(self) -> None:
        self.worker.clear_added()
        self.poll()

    # -- training -----------------------------------------------------------
    def train(self, wait: bool = False) -> None:
        if self.loading:
            self.notice = f"Wait until {self.loading} has loaded, then press Train."
            return
        if self.dataset is None:
            self.error = "No data loaded yet."
            return
        self.param.update(error="", notice="", frame=None, losses=[], quality={}, click=None,
                          progress=None, predictions=None, moved=None)
        self._steering = None
        params = faces.training_params(self.training_params())
        self.worker.start(wait=wait, snapshot_interval=self.snapshot_interval(),
                          labels=self.training_labels(), **params)
        self.phase = self.worker.phase

    def snapshot_interval(self) -> float:
        """Seconds between snapshots for the current data's size."""
        return frame_interval(self.dataset.n_samples if self.dataset is not None else 0)

    def pause(self) -> None:
        self.worker.pause()
        self.phase = self.worker.phase

    def resume(self) -> None:
        self.worker.resume()
        self.phase = self.worker.phase

    def stop(self) -> None:
        self.worker.stop()
        self.phase = self.worker.phase

    def reset(self) -> None:
        """Forget the model, its map, new rows and what was said about them; keep the data."""
        self.worker.reset()
        self.param.update(notice="", warning="", error="", hover=-1, predictions=None, moved=None)
        self.poll()

    def _on_live(self, *_events) -> None:
        try:
            self.worker.update(**self.live_settings())
        except ValueError as e:  # e.g. min_dist above the run's spread (names come from LIVE)
            self.error = f"Not applied: {e}"

    # -- the periodic callback ------------------------------------------------
    def poll(self) -> bool:
        """Move worker results into the state; True when a new frame arrived."""
        if self._closed or not self._poll_lock.acquire(blocking=False):
            return False  # the previous tick is still busy
        try:
            return self._poll()
        finally:
            self._poll_lock.release()

    def _poll(self) -> bool:
        w = self.worker
        for kind, payload in w.take_events():
            if kind == "dataset":
                self._on_dataset(*payload)
            elif kind == "table":
                self._on_table(payload)
            elif kind == "error":
                self._requested = ""
                self.param.update(error=payload, notice="", loading="")
            elif kind == "preview":
                self.preview = Frame.of(payload)
            elif kind == "plan":
                self._on_plan(payload)
            elif kind == "reset":
                self._steering = None
                self.param.update(frame=None, progress=None, losses=[], quality={}, click=None,
                                  hover=-1)
            elif kind == "finished":
                self.notice = "Training finished." if w.phase == "done" else "Training stopped."
        snap = w.take_snapshot()
        new = snap is not None and snap.embedding is not None
        updates = {"phase": w.phase, "preparing": w.preparing_text(), "model": w.model}
        added = w.added
        if added is not self.added:
            updates.update(self._added_updates(added))
        if new or added is not self.added:
            z = snap.embedding if new else (self.frame.train_z if self.frame is not None else None)
            if z is not None:
                step = snap.step if new else self.frame.step
                updates["frame"] = Frame.of(z, step, None if added is None else added.z)
        if new:
            self._frame_times.append(time.monotonic())
            updates.update(progress=progress_of(snap), losses=w.losses(), fps=self._fps())
        self.param.update(**{k: v for k, v in updates.items() if getattr(self, k) is not v})
        self._refresh_quality()
        self._poll_labels()
        return new

    def _added_updates(self, added) -> dict:
        """New rows arrived (or left): what the map's indices mean, and a message once."""
        updates = {"added": added, "shown": self.dataset, "selection": np.zeros(0, np.int64)}
        if added is not None:
            if self.added is None or added.dataset is not self.added.dataset:
                updates["notice"], updates["warning"] = added_messages(added)
            else:
                updates.pop("selection")
            updates["shown"] = (self.shown if self.added is not None
                                and added.dataset is self.added.dataset
                                else Shown(self.dataset, added))
        return updates

    def _fps(self) -> float:
        t = self._frame_times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 2 and t[-1] > t[0] else 0.0

    def _refresh_quality(self) -> None:
        result = self.quality_monitor.take()
        if result is not None:
            self.quality = result
        if self.dataset is not None:
            self.quality_monitor.maybe_start(self.dataset.X, self.frame, self.quality.get("step"))

    # -- models ------------------------------------------------------------------
    def model_bytes(self) -> bytes:
        if self.model is None or self.phase in RUNNING:
            raise RuntimeError("Stop training (or let it finish) before saving the model.")
        return model_to_bytes(self.model_with_labels(self.model))

    def load_model_bytes(self, data: bytes, name: str = "model.safetensors") -> bool:
        """Load an uploaded model through the engine's safe loader; errors go to ``error``."""
        try:
            model = model_from_bytes(data, name)
            self.worker.use_model(model)
        except UPLOAD_ERRORS as e:
            self.error = f"Could not use the model file {name!r}: {e}"
            return False
        self.labels_from_model(model)
        self.param.update(error="", notice=f"Loaded model {name}.")
        self.poll()
        return True

    def close(self) -> None:
        """Stop the worker and drop everything this session holds (its tab has closed)."""
        self._closed = True
        self.worker.close()
        self.quality_monitor.wait(10.0)
        self.prediction_monitor.wait(10.0)
        with param.parameterized.discard_events(self):  # no view redraws on a closed page
            self.param.update(dataset=None, shown=None, added=None, model=None, frame=None,
                              preview=None, progress=None, losses=[], quality={}, click=None,
                              selection=np.zeros(0, np.int64))
        self._steering = None
