"""The classifier head's predictions for every row, off the page's thread.

While labels train the head, the worker publishes a frozen copy of the model
with each snapshot (:meth:`pumap_core.ParametricUMAP.frozen_copy`); this
monitor runs ``predict_proba`` of all rows on the newest copy in its own
thread, one computation at a time, so the map can be coloured by predicted
class without holding up training or the page.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class Predictions:
    """``predict_proba`` of every row: columns for the class codes ``classes``."""

    proba: np.ndarray
    classes: np.ndarray
    step: int = -1
    seconds: float = 0.0

    @classmethod
    def of(cls, model, X: np.ndarray, step: int = -1) -> Predictions:
        t0 = time.perf_counter()
        proba = model.predict_proba(X)
        return cls(proba, np.asarray(model.classes_, np.int64), step, time.perf_counter() - t0)

    @property
    def predicted(self) -> np.ndarray:
        """Each row's most probable class code."""
        return self.classes[np.argmax(self.proba, 1)]

    @property
    def confidence(self) -> np.ndarray:
        """The probability of that class: from 1 / classes (a guess) to 1."""
        return self.proba.max(1)

    def of_row(self, i: int) -> list[tuple[int, float]]:
        """Class codes and probabilities of row ``i``, most probable first."""
        order = np.argsort(-self.proba[i], kind="stable")
        return [(int(self.classes[j]), float(self.proba[i, j])) for j in order]


class PredictionMonitor:
    """Predictions from the newest published model, computed in a background thread."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._result: Predictions | None = None
        self._error: str | None = None
        self._done_for: object = None  # the model the last computation used

    def maybe_start(self, model, X: np.ndarray, step: int = -1) -> bool:
        """Predict with ``model`` unless a computation runs or this model was used already."""
        busy = self._thread is not None and self._thread.is_alive()
        if busy or model is None or model is self._done_for \
                or getattr(model, "classifier_", None) is None:
            return False
        self._done_for = model
        self._thread = threading.Thread(target=self._work, args=(model, X, step),
                                        name="pumap-predict", daemon=True)
        self._thread.start()
        return True

    def _work(self, model, X, step) -> None:
        try:
            self._result = Predictions.of(model, X, step)
        except Exception as e:  # noqa: BLE001 - a failed prediction must not stop the page
            self._error = f"Could not predict classes: {e}"

    def take(self) -> tuple[Predictions | None, str | None]:
        """The newest finished result and error, once each."""
        result, self._result = self._result, None
        error, self._error = self._error, None
        return result, error

    def shown(self, model) -> bool:
        """Whether the predictions of ``model`` are done and taken (tests, checks)."""
        busy = self._thread is not None and self._thread.is_alive()
        return not busy and model is self._done_for and self._result is None

    def forget(self) -> None:
        """A new data set or model: results of the old one are dropped."""
        self.wait()
        self._result, self._error, self._done_for = None, None, None

    def wait(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
