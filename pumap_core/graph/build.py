"""The graph stage as one call: kNN → fuzzy graph → pruned edges, in a :class:`NeighborGraph`.

A graph depends only on the data, ``n_neighbors`` and ``metric``, so callers
that fit several models to the same data (another ``min_dist``, other loss
weights) build it once and pass it to ``ParametricUMAP.fit(X, graph=...)``;
:func:`check_graph` says whether a graph belongs to the data and settings at hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import fuzzy_torch
from .edges import EdgeSet, edges_from_graph
from .fuzzy import fuzzy_simplicial_set
from .neighbors import nearest_neighbors


@dataclass(frozen=True)
class NeighborGraph:
    """Everything the graph step learned: the kNN, the bandwidths and the edges.

    ``sigmas`` and ``rhos`` are None for graphs read back from a model file.
    """

    knn_indices: np.ndarray
    knn_dists: np.ndarray
    sigmas: np.ndarray | None
    rhos: np.ndarray | None
    edges: EdgeSet
    n_neighbors: int
    metric: str

    @property
    def n_vertices(self) -> int:
        return int(self.edges.n_vertices)


def build_graph(
    X: np.ndarray,
    n_neighbors: int = 15,
    metric: str = "euclidean",
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    knn_method: str = "auto",
    random_state: int | None = None,
    prune_epochs: int | None = 200,
    device: torch.device | str = "cpu",
) -> NeighborGraph:
    """kNN of ``X`` (or the given ``knn=(indices, distances)``) → fuzzy graph → edges.

    On an accelerator ``device`` the exact search's matrix products and the fuzzy
    set run there (:mod:`.fuzzy_torch`: the same graph as the CPU's numba code).
    """
    device = torch.device(device)
    if knn is None:
        indices, dists = nearest_neighbors(X, n_neighbors, metric, knn_method, random_state,
                                           device=device)
    else:
        indices, dists = (np.asarray(a) for a in knn)
        if indices.shape[0] != X.shape[0]:
            raise ValueError(f"precomputed kNN has {indices.shape[0]} rows, data has {X.shape[0]}")
        indices, dists = indices[:, :n_neighbors], dists[:, :n_neighbors]
    if device.type == "cpu":
        graph, sigmas, rhos = fuzzy_simplicial_set(indices, dists, n_neighbors)
    else:
        graph, sigmas, rhos = fuzzy_torch.fuzzy_simplicial_set(indices, dists, n_neighbors,
                                                               device=device)
    return NeighborGraph(knn_indices=indices, knn_dists=dists, sigmas=sigmas, rhos=rhos,
                         edges=edges_from_graph(graph, prune_epochs),
                         n_neighbors=n_neighbors, metric=metric)


def check_graph(graph: object, n_rows: int, n_neighbors: int, metric: str) -> NeighborGraph:
    """``graph`` if it is a :class:`NeighborGraph` of ``n_rows`` points built with
    ``n_neighbors`` and ``metric``; otherwise a ValueError that names the difference."""
    if not isinstance(graph, NeighborGraph):
        raise TypeError(f"graph must be a NeighborGraph (pumap_core.graph.build_graph), "
                        f"got {type(graph).__name__}")
    rows = {graph.n_vertices, int(np.shape(graph.knn_indices)[0])}
    if rows != {n_rows}:
        raise ValueError(f"the graph has {max(rows)} points but X has {n_rows} rows; "
                         "build the graph from this X")
    if (graph.n_neighbors, graph.metric) != (n_neighbors, metric):
        raise ValueError(f"the graph was built with n_neighbors={graph.n_neighbors}, "
                         f"metric={graph.metric!r}, but this model has n_neighbors={n_neighbors}, "
                         f"metric={metric!r}; set the model's parameters to the graph's or "
                         "build a new graph")
    return graph
