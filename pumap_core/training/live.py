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

from .setting import LiveSetting
from .terms import TERMS, LossTerm

__all__ = ["LIVE", "LIVE_SETTINGS", "WEIGHT_OF", "LiveSetting", "LossTerm", "Snapshot",
           "TrainingControls", "TrainingStopped", "check_live_settings", "register_term",
           "remove_term"]


#: The settings that may change while training runs, by name: the curve and the
#: optimiser's, then the weight of each loss term (declared with its term,
#: :data:`pumap_core.training.terms.TERMS`).
LIVE = {s.name: s for s in (
    LiveSetting("learning_rate", (1e-6, 1.0), (1e-5, 1e-1), label="Learning rate", short="lr",
                doc="Adam's learning rate (before decay)."),
    LiveSetting("min_dist", (0.0, 3.0), (0.0, 1.0), label="min_dist", short="min_dist",
                doc="How tightly points pack (at most spread)."),
    LiveSetting("spread", (1e-3, 10.0), (0.1, 3.0), short="spread",
                doc="Scale of the embedded points."),
    LiveSetting("repulsion_strength", (0.0, 100.0), (0.0, 5.0), short="repulsion",
                doc="Weight of the negative samples."),
    *(term.weight for term in TERMS.values()),
)}
LIVE_SETTINGS = tuple(LIVE)
#: loss term -> the live setting that weights it
WEIGHT_OF = {s.term: s.name for s in LIVE.values() if s.term}


def register_term(term: LossTerm) -> LossTerm:
    """Add a loss term: the one call a new term needs. The loop computes it whenever its
    weight is above 0, ``TrainingControls`` and the estimator's fitted ``<weight>_``
    attributes carry its weight, and the dashboard's loss chart draws it."""
    if term.name in TERMS or term.weight.name in LIVE:
        raise ValueError(f"a loss term {term.name!r} or a setting {term.weight.name!r} exists")
    TERMS[term.name] = term
    LIVE[term.weight.name] = term.weight
    WEIGHT_OF[term.name] = term.weight.name
    return term


def remove_term(name: str) -> None:
    """Undo :func:`register_term` (the built-in terms stay)."""
    term = TERMS.pop(name)
    LIVE.pop(term.weight.name, None)
    WEIGHT_OF.pop(name, None)


def check_live_settings(settings: dict[str, float], current: dict[str, float] | None = None
                        ) -> dict[str, float]:
    """Validated floats for ``settings``; unknown names raise KeyError, bad values ValueError.

    ``current`` (the other settings in force) lets min_dist be checked against spread.
    """
    unknown = set(settings) - set(LIVE)
    if unknown:
        raise KeyError(f"not a live training setting: {sorted(unknown)}; "
                       f"choose from {list(LIVE)}")
    values = {k: LIVE[k].check(v) for k, v in settings.items()}
    merged = {**(current or {}), **values}
    if "min_dist" in merged and "spread" in merged and merged["min_dist"] > merged["spread"]:
        raise ValueError(f"min_dist must be at most spread={merged['spread']:g}, "
                         f"got {merged['min_dist']:g}")
    return values


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
        self._base: dict[str, float] = {}
        self._version = 0
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        if settings:
            self.update(**settings)

    # -- settings ---------------------------------------------------------
    def update(self, **settings: float) -> None:
        """Change live settings; an unknown name raises ``KeyError``, a value outside
        its bounds ``ValueError`` (nothing changes then, and a running loop goes on)."""
        with self._lock:
            current = {**self._base, **self._settings}
        values = check_live_settings(settings, current)
        with self._lock:
            self._settings.update(values)
            self._version += 1

    def begin(self, settings: dict[str, float]) -> None:
        """The loop's starting values, so that later updates are checked against them."""
        with self._lock:
            self._base = dict(settings)

    def values(self) -> dict[str, float]:
        """The starting values with every update applied: what the loop runs with now."""
        with self._lock:
            return {**self._base, **self._settings}

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
