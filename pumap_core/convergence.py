"""When to stop: the map of a fixed subsample has stopped getting better.

A fixed edge budget trains long after the map has converged on small data
(and over-fits it), and too short on large data. Instead the loop
periodically embeds the training rows and measures, for a fixed subsample of
them, how many of each row's nearest neighbours in the data (from the kNN
graph) are also its nearest neighbours on the map: neighbour recall, a cheap
stand-in for trustworthiness that ignores rotations and translations of the
map and looks at the same local scale as the graph. When
the mean recall of the last ``patience`` checks is less than ``tol`` above
the mean of the ``patience`` checks before them, the map has converged
(means, because stochastic training makes single checks jitter).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

#: rows in the monitored subsample; neighbours compared per row.
MONITOR_ROWS = 1000
MONITOR_NEIGHBORS = 10
#: checks spread over the maximum length of a run.
CHECKS_PER_RUN = 50
#: progress below this, between two windows of checks, is convergence ...
TOLERANCE = 0.01
#: ... with windows of this many checks.
PATIENCE = 5


def neighbour_recall(reference: np.ndarray, rows: np.ndarray, embedding: np.ndarray) -> float:
    """Mean share of each monitored row's ``reference`` neighbours (indices into all
    rows) among its nearest neighbours on the map ``embedding`` (all rows)."""
    k = reference.shape[1]
    _, found = cKDTree(embedding).query(embedding[rows], k + 1)
    found = found[:, 1:] if (found[:, 0] == rows).all() else found[:, :k]
    hits = (found[:, :, None] == reference[:, None, :]).any(-1)
    return float(hits.mean())


class ConvergenceMonitor:
    """Tracks neighbour recall of a fixed subsample; ``update`` says when to stop.

    ``knn_indices``: each row's neighbours in the data, nearest first, the row
    itself first (as :class:`~pumap_core.graph.NeighborGraph` stores them).
    """

    def __init__(self, knn_indices: np.ndarray, rows: np.ndarray,
                 n_neighbors: int = MONITOR_NEIGHBORS, tol: float = TOLERANCE,
                 patience: int = PATIENCE) -> None:
        self.rows = np.asarray(rows)
        k = max(1, min(n_neighbors, knn_indices.shape[1] - 1))
        self.reference = np.asarray(knn_indices)[self.rows, 1:k + 1]
        self.tol, self.patience = float(tol), int(patience)
        self.history: list[float] = []

    @classmethod
    def for_graph(cls, knn_indices: np.ndarray, seed: int | None = 0,
                  size: int = MONITOR_ROWS) -> ConvergenceMonitor | None:
        """A monitor on ``size`` random rows; None when there are too few rows or neighbours."""
        n = knn_indices.shape[0]
        if n <= MONITOR_NEIGHBORS + 1 or knn_indices.shape[1] < 2:
            return None
        rng = np.random.default_rng(seed)
        return cls(knn_indices, np.sort(rng.choice(n, min(size, n), replace=False)))

    def update(self, embedding: np.ndarray) -> bool:
        """Record the recall on the map of all rows, ``embedding``; True once converged."""
        recall = neighbour_recall(self.reference, self.rows, np.asarray(embedding))
        self.history.append(recall)
        w = self.patience
        if len(self.history) < 2 * w:
            return False
        recent, before = np.mean(self.history[-w:]), np.mean(self.history[-2 * w:-w])
        return bool(recent - before < self.tol)
