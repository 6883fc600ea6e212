"""Local and global quality of the current frame, on a fixed subsample, off the page's thread.

Trustworthiness (k=5) says whether embedding neighbours are data neighbours;
distance correlation whether far-apart points stay far apart. Both come from
``pumap_core.eval.metrics`` and are refreshed every few seconds while frames arrive.
"""

from __future__ import annotations

import threading
import time

import numpy as np

PERIOD = 3.0  # seconds between refreshes
SAMPLE = 600  # rows in the subsample


def same_distances(X: np.ndarray) -> np.ndarray:
    """Rows with the same pairwise distances as ``X``, in at most ``len(X)`` columns.

    The subsample's rows span at most as many dimensions as there are rows: their
    coordinates in that span (an SVD, once per data set) keep every distance, so a
    12,288-pixel image set is scored on 600 numbers a row instead of 12,288 (the
    metrics then cost a small fraction of the training thread's CPU, not most of it).
    """
    X = np.asarray(X, np.float32)
    if X.shape[1] <= X.shape[0]:
        return X
    centred = X - X.mean(axis=0)
    gram = (centred @ centred.T).astype(np.float64)  # one product: the rows' inner products
    values, vectors = np.linalg.eigh(gram)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


class QualityMonitor:
    def __init__(self, period: float = PERIOD, sample: int = SAMPLE) -> None:
        self.period, self.sample = period, sample
        self.rows: np.ndarray | None = None
        self._thread: threading.Thread | None = None
        self._result: dict | None = None
        self._at = 0.0
        self._sample: tuple[object, np.ndarray] | None = None  # (data, its subsample rows)

    def reset(self, n_samples: int) -> None:
        """A new data set: a new fixed subsample."""
        n = min(n_samples, self.sample)
        self.rows = np.sort(np.random.default_rng(0).choice(n_samples, n, replace=False))
        self._at = 0.0
        self._sample = None

    def take(self) -> dict | None:
        """The newest finished result, once."""
        result, self._result = self._result, None
        return result

    def maybe_start(self, X: np.ndarray, frame, last_step: int | None) -> bool:
        """Start a computation for ``frame`` unless one runs, it is too soon, or nothing moved."""
        busy = self._thread is not None and self._thread.is_alive()
        if busy or self.rows is None or frame is None or frame.n_train != len(X):
            return False
        if time.monotonic() - self._at < self.period or last_step == frame.step:
            return False
        self._at = time.monotonic()
        self._thread = threading.Thread(
            target=self._work, args=(X, frame.train_z[self.rows], frame.step),
            name="pumap-quality", daemon=True)
        self._thread.start()
        return True

    def _work(self, data, Z, step) -> None:
        from pumap_core.eval.metrics import distance_correlation, trustworthiness

        if self._sample is None or self._sample[0] is not data:
            self._sample = (data, same_distances(data[self.rows]))
        X = self._sample[1]
        try:
            result = {"trustworthiness": trustworthiness(X, Z, k=5),
                      "distance_correlation": distance_correlation(X, Z, sample_size=None),
                      "step": step, "n": len(X)}
        except Exception as e:  # noqa: BLE001 - a metric failing must not stop the page
            result = {"step": step, "n": len(X), "error": str(e)}
        self._result = result

    def wait(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
