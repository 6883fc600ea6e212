"""Controller: the one place where user actions meet the TrainingSession.

Panel-free, so it is tested without a browser. The page calls its methods
from widget callbacks and calls :meth:`Controller.poll` from a periodic
callback; ``poll`` is the only code that moves worker results into
:class:`~app.state.AppState`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import numpy as np
import pandas as pd

from . import decoding
from .colors import default_color_by
from .decoding import Click
from .faces import training_params
from .frame import Frame
from .model_files import UPLOAD_ERRORS, model_from_bytes, model_to_bytes
from .progress import Progress
from .quality import QualityMonitor
from .session import TrainingSession
from .state import LABEL, AppState

log = logging.getLogger(__name__)

#: snapshot spacing. Each frame costs the server ~0.1 s of shading whatever the size, and
#: large data ~0.2 s more of the training thread for the full embedding: about 2.5-3 frames/s.
FRAME_INTERVAL = ((20_000, 0.35), (None, 0.4))
#: reconstruction (so clicks decode) is on by default up to this many values (rows ×
#: features), MNIST and CelebA included; the decoder makes each step ~4× slower (MNIST)
RECONSTRUCTION_AUTO_LIMIT = 100_000_000


class Controller:
    def __init__(self, state: AppState | None = None, session: TrainingSession | None = None):
        self.state = state or AppState()
        self.session = session or TrainingSession()
        self._poll_lock = threading.Lock()
        self.quality = QualityMonitor()
        self._steering: decoding.Steering | None = None
        self._frame_times: deque[float] = deque(maxlen=12)
        self._closed = False
        self.state.param.watch(self._on_live, ["min_dist", "global_weight", "recon_weight"])

    # -- data ---------------------------------------------------------------
    @property
    def dataset(self):
        return self.session.dataset

    def load(self, source: str | None = None, wait: bool = False) -> None:
        """Load a built-in source or a path (in the background)."""
        source = (source or self.state.source).strip()
        if not source:
            self.state.error = "Type a path to a file or folder first."
            return
        self.state.param.update(error="", notice=f"Loading {source} …", loading=True)
        self.session.load(source, wait=wait)

    def _on_dataset(self, ds) -> None:
        columns = [LABEL] if ds.labels is not None else []
        columns += [str(c) for c in ds.attributes.columns[:60]]
        columns = columns or ["(none)"]
        self.state.param.color_by.objects = columns
        shape = f" · images {'×'.join(map(str, ds.image_shape))}" if ds.image_shape else ""
        self.quality.reset(ds.n_samples)
        self._steering = None
        self.state.param.update(
            reconstruction=ds.n_samples * ds.n_features <= RECONSTRUCTION_AUTO_LIMIT,
            color_by=default_color_by(columns), frame=None, progress=None, losses=[], quality={}, click=None,
            hover=-1, selection=np.zeros(0, np.int64), notice=f"Loaded {ds.name}.",
            dataset_info=f"{ds.name}: {ds.n_samples:,} items × {ds.n_features:,} features{shape}")

    # -- training -----------------------------------------------------------
    def train(self, wait: bool = False) -> None:
        if self.dataset is None:
            self.state.error = "No data loaded yet."
            return
        self.state.param.update(error="", notice="", frame=None, losses=[], quality={},
                                click=None, progress=None)
        self._steering = None
        n = self.dataset.n_samples
        interval = next(t for limit, t in FRAME_INTERVAL if limit is None or n <= limit)
        params = training_params(self.dataset, self.state.training_params())
        self.session.start(wait=wait, snapshot_interval=interval, **params)
        self.state.phase = self.session.phase

    def pause(self) -> None:
        self.session.pause()
        self.state.phase = self.session.phase

    def resume(self) -> None:
        self.session.resume()
        self.state.phase = self.session.phase

    def stop(self) -> None:
        self.session.stop()
        self.state.phase = self.session.phase

    def reset(self) -> None:
        self.session.reset()
        self.poll()

    def _on_live(self, *_events) -> None:
        try:
            self.session.update(**self.state.live_settings())
        except (ValueError, KeyError) as e:
            self.state.error = str(e)

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
        s, st = self.session, self.state
        for kind, payload in s.take_events():
            if kind == "dataset":
                self._on_dataset(payload)
            elif kind == "error":
                st.param.update(error=payload, notice="")
            elif kind == "reset":
                self._steering = None
                st.param.update(frame=None, progress=None, losses=[], quality={}, click=None)
            elif kind == "finished":
                st.notice = "Training finished." if s.phase == "done" else "Training stopped."
        snap = s.take_snapshot()
        new = snap is not None and snap.embedding is not None
        updates = {"phase": s.phase, "loading": s.loading or s.preparing}
        if new:
            self._frame_times.append(time.monotonic())
            updates.update(frame=Frame.of(snap.embedding, snap.step), progress=Progress.of(snap),
                           losses=s.losses(), fps=self._fps())
        st.param.update(**{k: v for k, v in updates.items() if getattr(st, k) is not v})
        self._refresh_quality()
        return new

    def _fps(self) -> float:
        t = self._frame_times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 2 and t[-1] > t[0] else 0.0

    # -- quality ---------------------------------------------------------------
    def _refresh_quality(self) -> None:
        result = self.quality.take()
        if result is not None:
            self.state.quality = result
        if self.dataset is not None:
            self.quality.maybe_start(self.dataset.X, self.state.frame,
                                     self.state.quality.get("step"))

    def wait_quality(self, timeout: float = 30.0) -> None:
        self.quality.wait(timeout)

    # -- selection -------------------------------------------------------------
    def select_polygon(self, xs, ys) -> np.ndarray:
        frame = self.state.frame
        idx = frame.in_polygon(xs, ys) if frame is not None else np.zeros(0, np.int64)
        self.state.selection = idx
        return idx

    def select_box(self, x0, y0, x1, y1) -> np.ndarray:
        frame = self.state.frame
        idx = frame.in_box(x0, y0, x1, y1) if frame is not None else np.zeros(0, np.int64)
        self.state.selection = idx
        return idx

    def clear_selection(self) -> None:
        self.state.selection = np.zeros(0, np.int64)

    def selection_table(self) -> pd.DataFrame:
        """Selected rows: index, label, metadata and current latent position."""
        ds, idx, frame = self.dataset, self.state.selection, self.state.frame
        table = pd.DataFrame({"index": idx})
        if ds is None:
            return table
        if ds.labels is not None:
            codes = ds.labels[idx]
            table["label"] = [ds.label_names[c] if ds.label_names and c >= 0 else c for c in codes]
        if len(ds.attributes.columns):
            attrs = ds.attributes.iloc[idx].reset_index(drop=True)
            table = pd.concat([table, attrs.add_prefix("attr_")], axis=1)
        if frame is not None and len(frame) == ds.n_samples:
            table["z0"], table["z1"] = frame.z[idx, 0], frame.z[idx, 1]
        return table

    # -- hover and click -------------------------------------------------------
    def hover(self, x: float | None, y: float | None) -> int:
        frame = self.state.frame
        i = -1
        if frame is not None and x is not None and y is not None:
            i = frame.nearest(x, y, max_distance=0.03)
        if i != self.state.hover:
            self.state.hover = i
        return i

    def click(self, x: float, y: float) -> Click | None:
        """Decode the code under (x, y): a point's own code, or a blend on empty space."""
        frame, ds = self.state.frame, self.dataset
        if frame is None or ds is None or x is None or y is None:
            return None
        model = self.session.model
        c = decoding.click(model, frame, ds.X, x, y, getattr(model, "graph_", None))
        self.state.click = c
        return c

    def steering(self) -> decoding.Steering | None:
        """Attribute directions on the current model's codes (refitted when stale)."""
        model, frame = self.session.model, self.state.frame
        if not decoding.is_current(self._steering, model, frame, self.session.running):
            self._steering = decoding.fit_steering(model, self.dataset, frame) \
                if self.dataset is not None else None
        return self._steering

    def directions(self) -> pd.DataFrame | None:
        s = self.steering()
        return None if s is None else s.directions

    def decode_shifted(self, alphas: dict[str, float]) -> tuple[np.ndarray | None, str]:
        """Decode the clicked code pushed by alpha along each attribute's direction."""
        c = self.state.click
        if c is None:
            return None, "Click the plot first."
        z = decoding.shifted(c.z, self.steering(), alphas)
        return decoding.safe_decode(self.session.model, z)

    # -- models ------------------------------------------------------------------
    def model_bytes(self) -> bytes:
        model = self.session.model
        if model is None or self.session.phase in ("training", "paused", "stopping"):
            raise RuntimeError("Stop training (or let it finish) before saving the model.")
        return model_to_bytes(model)

    def load_model_bytes(self, data: bytes, name: str = "model.safetensors") -> bool:
        """Load an uploaded model through the engine's safe loader; errors go to state."""
        try:
            self.session.use_model(model_from_bytes(data, name))
        except UPLOAD_ERRORS as e:
            self.state.error = f"Could not use the model file {name!r}: {e}"
            return False
        self.state.param.update(error="", notice=f"Loaded model {name}.")
        self.poll()
        return True

    def close(self) -> None:
        self._closed = True
        self.session.close()
