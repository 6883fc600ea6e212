"""Neighbour graphs shared by the app's sessions.

A graph depends only on the data, ``n_neighbors`` and ``metric``, and on
MNIST it takes longer to build than a first map takes to train. So graphs
are kept per process in a small LRU keyed by a fingerprint of the data and
those two settings: the background prebuild fills it while the user looks
at the page, Train and every later run on the same data (in this session or
another browser tab) take the graph from here and pass it to
``ParametricUMAP.fit(X, graph=...)``. A caller asking for a graph that
another thread is building waits for it instead of building it twice.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from pumap_core.graph import NeighborGraph, build_graph

#: graphs kept (one MNIST graph with 15 neighbours holds ~2 M edges, ~40 MB)
CACHE_SIZE = 4


def fingerprint(X: np.ndarray) -> str:
    """A content hash of the data (shape, dtype and bytes)."""
    X = np.ascontiguousarray(X)
    h = hashlib.blake2b(digest_size=16)
    h.update(memoryview(X).cast("B"))
    h.update(repr((X.shape, str(X.dtype))).encode())
    return h.hexdigest()


class GraphCache:
    """A thread-safe LRU of neighbour graphs keyed by (data, n_neighbors, metric)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple, NeighborGraph] = OrderedDict()
        self._building: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def _get(self, key: tuple) -> NeighborGraph | None:
        with self._lock:
            graph = self._items.get(key)
            if graph is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return graph

    def graph_for(self, X: np.ndarray, n_neighbors: int = 15, metric: str = "euclidean",
                  **build_options) -> NeighborGraph:
        """The graph of rows ``X``: from the cache, or built (``build_options`` go to
        :func:`pumap_core.graph.build_graph`: ``knn_method``, ``random_state``)."""
        key = (fingerprint(X), int(n_neighbors), str(metric))
        graph = self._get(key)
        if graph is not None:
            return graph
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one builder per key; the others wait and then find its graph
            graph = self._get(key)
            if graph is not None:
                return graph
            graph = build_graph(X, int(n_neighbors), str(metric), **build_options)
            with self._lock:
                self._items[key] = graph
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
        return graph

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: the process's graphs, shared by all sessions
GRAPHS = GraphCache()


def graph_for_model(X: np.ndarray, model) -> NeighborGraph:
    """The graph of rows ``X`` with the settings of ``model`` (a ``ParametricUMAP``)."""
    return GRAPHS.graph_for(X, model.n_neighbors, model.metric, knn_method=model.knn_method,
                            random_state=model.random_state)
