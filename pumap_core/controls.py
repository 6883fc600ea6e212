"""Live training controls and snapshots: the two objects that cross threads.

A training loop runs in one thread; a user interface (or a notebook) in
another. Controls flow *into* the loop through :class:`TrainingControls`
(read between steps, so a change takes effect at the next step); progress
flows *out* as immutable :class:`Snapshot` objects handed to a callback.
Neither object knows anything about the user interface.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The settings that may change while training runs.
LIVE_SETTINGS = (
    "umap_weight",
    "global_correlation_weight",
    "reconstruction_weight",
    "classifier_weight",
    "learning_rate",
    "min_dist",
    "spread",
    "repulsion_strength",
)


class TrainingStopped(Exception):
    """Raised inside the loop when :meth:`TrainingControls.stop` was called."""


class TrainingControls:
    """Thread-safe knobs that a running training loop reads between steps.

    ``update(min_dist=0.5)`` from any thread is seen by the loop at its next
    step. ``pause()``/``resume()`` block and release the loop between steps;
    ``stop()`` ends it cleanly (the model keeps what it learned so far).
    """

    def __init__(self, **settings: float) -> None:
        self._lock = threading.Lock()
        self._settings: dict[str, float] = {}
        self._version = 0
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        if settings:
            self.update(**settings)

    # -- settings ---------------------------------------------------------
    def update(self, **settings: float) -> None:
        """Change live settings; unknown names raise ``KeyError``."""
        unknown = set(settings) - set(LIVE_SETTINGS)
        if unknown:
            raise KeyError(f"not a live training setting: {sorted(unknown)}; "
                           f"choose from {list(LIVE_SETTINGS)}")
        for name, value in settings.items():
            value = float(value)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        with self._lock:
            self._settings.update({k: float(v) for k, v in settings.items()})
            self._version += 1

    def read(self) -> tuple[int, dict[str, float]]:
        """Return ``(version, settings)``; the version grows on every update."""
        with self._lock:
            return self._version, dict(self._settings)

    # -- run state --------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def checkpoint(self) -> None:
        """Called by the loop between steps: waits while paused, raises on stop."""
        while not self._running.wait(timeout=0.1):
            if self._stop.is_set():
                break
        if self._stop.is_set():
            raise TrainingStopped


@dataclass(frozen=True)
class Snapshot:
    """What the loop reports: where it is, its losses and (optionally) the embedding.

    ``embedding`` holds the current 2-D/n-D codes of ``embedding_index`` rows
    (all rows when ``embedding_index`` is None), or is None when not requested.
    """

    step: int
    epoch: float
    n_epochs: int
    elapsed: float
    losses: dict[str, float]
    settings: dict[str, float] = field(default_factory=dict)
    embedding: np.ndarray | None = None
    embedding_index: np.ndarray | None = None
    edges_per_second: float = 0.0
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def progress(self) -> float:
        return min(1.0, self.epoch / max(self.n_epochs, 1))
