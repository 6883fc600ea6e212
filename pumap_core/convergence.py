"""When to stop: the map of a fixed subsample has stopped getting better.

A fixed edge budget trains long after the map has converged on small data
(and over-fits it), and too short on large data. Instead the loop
periodically embeds a fixed subsample of the training rows and measures how
many of each row's nearest neighbours in the data are also its nearest
neighbours on the map (neighbour recall, a cheap stand-in for
trustworthiness that ignores rotations and translations of the map). When
the mean recall of the last ``patience`` checks is less than ``tol`` above
the mean of the ``patience`` checks before them, the map has converged
(means, because stochastic training makes single checks jitter).
"""

from __future__ import annotations

import numpy as np
import torch

#: rows in the monitored subsample; neighbours compared per row.
MONITOR_ROWS = 1000
MONITOR_NEIGHBORS = 10
#: checks spread over the maximum length of a run.
CHECKS_PER_RUN = 100
#: progress below this, between two windows of checks, is convergence ...
TOLERANCE = 0.01
#: ... with windows of this many checks.
PATIENCE = 5


def _knn_sets(points: torch.Tensor, k: int) -> torch.Tensor:
    d2 = torch.cdist(points, points)
    d2.fill_diagonal_(float("inf"))
    return torch.topk(d2, k, dim=1, largest=False).indices


def neighbour_recall(reference: torch.Tensor, embedding: torch.Tensor) -> float:
    """Mean share of each row's ``reference`` neighbours among its map neighbours."""
    k = reference.shape[1]
    found = _knn_sets(embedding.float(), k)
    hits = (found[:, :, None] == reference[:, None, :]).any(-1).float()
    return float(hits.mean())


class ConvergenceMonitor:
    """Tracks neighbour recall of a fixed subsample; ``update`` says when to stop."""

    def __init__(self, data: np.ndarray | torch.Tensor, rows: np.ndarray,
                 n_neighbors: int = MONITOR_NEIGHBORS, tol: float = TOLERANCE,
                 patience: int = PATIENCE) -> None:
        self.rows = np.asarray(rows)
        points = torch.as_tensor(np.asarray(data)[self.rows], dtype=torch.float32)
        k = max(1, min(n_neighbors, len(self.rows) - 1))
        self.reference = _knn_sets(points, k)
        self.tol, self.patience = float(tol), int(patience)
        self.history: list[float] = []

    @classmethod
    def for_data(cls, data: np.ndarray, seed: int | None = 0,
                 size: int = MONITOR_ROWS) -> ConvergenceMonitor | None:
        """A monitor on ``size`` random rows of ``data``; None when there are too few rows."""
        n = data.shape[0]
        if n <= MONITOR_NEIGHBORS + 1:
            return None
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n, min(size, n), replace=False))
        return cls(data, rows)

    def update(self, embedding: np.ndarray | torch.Tensor) -> bool:
        """Record the recall of the monitored rows' ``embedding``; True once converged."""
        recall = neighbour_recall(self.reference, torch.as_tensor(np.asarray(embedding)))
        self.history.append(recall)
        w = self.patience
        if len(self.history) < 2 * w:
            return False
        recent, before = np.mean(self.history[-w:]), np.mean(self.history[-2 * w:-w])
        return bool(recent - before < self.tol)
