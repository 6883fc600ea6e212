"""The graph stage: neighbours of the data → UMAP's fuzzy graph → edges to sample.

``neighbors`` finds the k nearest neighbours, ``fuzzy`` turns them into the
fuzzy simplicial set, ``edges`` holds it as weighted edges, ``build`` runs
the stage as one call (:func:`build_graph` → :class:`NeighborGraph`), and
``sampling`` draws the training batches from the edges.
"""

from .build import NeighborGraph, build_graph, check_graph
from .edges import EdgeSet

__all__ = ["EdgeSet", "NeighborGraph", "build_graph", "check_graph"]
