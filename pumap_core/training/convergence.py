"""When to stop: the map of a fixed subsample has stopped getting better.

A fixed edge budget trains long after the map has converged on small data
(and over-fits it), and too short on large data. Instead the loop
periodically embeds the training rows and measures, for a fixed subsample of
them, how many of each row's nearest neighbours in the data (from the kNN
graph) are also its nearest neighbours on the map: neighbour recall, a cheap
stand-in for trustworthiness that ignores rotations and translations of the
map and looks at the same local scale as the graph.

The recall's recent slope (the mean of the last ``patience`` checks minus
the mean of the ``patience`` checks before them, per check: means, because
stochastic training makes single checks jitter) times the checks left before
the cap is the gain still to be had. Below ``tol`` of the recall reached, the
map has converged: a small data set whose recall has flattened stops early;
a large one whose recall still climbs steadily trains on, up to the cap.
(Relative, because recall at the graph's scale differs by data set: about .44
on digits, .06 on MNIST, where 60,000 rows crowd a 2-D map:
benchmarks/results/engine_choices.md.) On convergence the loop does not stop cold:
:class:`~pumap_core.training.schedule.LinearDecay` ends the learning rate's decay in
a short tail, where the map still sharpens.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree

#: rows in the monitored subsample (fewer jitter: MNIST stopped after 8 of 13 epochs with
#: 1,000, on a dip of its ~.05 recall: benchmarks/results/engine_latest.md); neighbours
#: compared per row.
MONITOR_ROWS = 5000
MONITOR_NEIGHBORS = 10
#: checks spread over the maximum length of a run.
CHECKS_PER_RUN = 50
#: a projected gain below this share of the recall reached, up to the cap, is convergence ...
TOLERANCE = 0.1
#: ... with the slope taken over two windows of this many checks.
PATIENCE = 5


def neighbour_recall(reference: np.ndarray, rows: np.ndarray,
                     embedding: np.ndarray | torch.Tensor) -> float:
    """Mean share of each monitored row's ``reference`` neighbours (indices into all
    rows) among its nearest neighbours on the map ``embedding`` (all rows). A map
    still on an accelerator is searched there (:func:`map_neighbours`)."""
    k = reference.shape[1]
    if isinstance(embedding, torch.Tensor):
        found = map_neighbours(embedding, rows, k + 1)
    else:
        _, found = cKDTree(embedding).query(embedding[rows], k + 1)
    found = found[:, 1:] if (found[:, 0] == rows).all() else found[:, :k]
    hits = (found[:, :, None] == reference[:, None, :]).any(-1)
    return float(hits.mean())


def map_neighbours(embedding: torch.Tensor, rows: np.ndarray, k: int,
                   chunk_scores: int = 2**26) -> np.ndarray:
    """The ``k`` nearest points of the map to each of ``rows``, by exact distances on the
    map's device, in chunks of rows (a GPU answers in milliseconds what a KD-tree on
    the host answers after the whole map has been copied there)."""
    index = torch.as_tensor(rows, device=embedding.device)
    squares = embedding.pow(2).sum(1)
    chunk = max(1, chunk_scores // max(1, embedding.shape[0]))
    found = []
    for start in range(0, len(rows), chunk):
        points = embedding[index[start:start + chunk]]
        d2 = torch.addmm(squares[None, :], points, embedding.T, alpha=-2.0)
        found.append(torch.topk(d2, k, dim=1, largest=False).indices.cpu())
    return torch.cat(found).numpy()


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

    def update(self, embedding: np.ndarray | torch.Tensor, checks_left: float = 0.0) -> bool:
        """Record the recall on the map of all rows, ``embedding`` (an array, or a tensor on
        its device); True once the gain projected over the ``checks_left`` before the cap
        is below ``tol`` of the recall."""
        if not isinstance(embedding, torch.Tensor):
            embedding = np.asarray(embedding)
        recall = neighbour_recall(self.reference, self.rows, embedding)
        self.history.append(recall)
        w = self.patience
        if len(self.history) < 2 * w:
            return False
        recent, before = np.mean(self.history[-w:]), np.mean(self.history[-2 * w:-w])
        slope = (recent - before) / w
        return bool(slope * max(checks_left, 1.0) < self.tol * max(recent, 1e-12))
