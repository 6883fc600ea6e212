"""The graph as the training loop sees it: weighted directed edges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse


@dataclass(frozen=True)
class EdgeSet:
    """Directed edges of the symmetric graph (both (i, j) and (j, i) appear)."""

    head: np.ndarray  # int64
    tail: np.ndarray  # int64
    weight: np.ndarray  # float32 in (0, 1]
    n_vertices: int

    def __len__(self) -> int:
        return int(self.head.shape[0])

    def to_sparse(self) -> scipy.sparse.csr_matrix:
        return scipy.sparse.csr_matrix(
            (self.weight, (self.head, self.tail)), shape=(self.n_vertices, self.n_vertices))


def edges_from_graph(graph: scipy.sparse.spmatrix, prune_epochs: int | None = 200) -> EdgeSet:
    """Turn a fuzzy graph into edges, pruning those umap-learn would never sample.

    umap-learn drops edges with weight < max_weight / n_epochs (they would be
    sampled less than once); ``prune_epochs=None`` keeps every edge.
    """
    coo = graph.tocoo()
    weight = coo.data.astype(np.float32)
    keep = weight > 0
    if prune_epochs:
        keep &= weight >= weight.max(initial=0.0) / float(prune_epochs)
    return EdgeSet(head=coo.row[keep].astype(np.int64), tail=coo.col[keep].astype(np.int64),
                   weight=weight[keep], n_vertices=graph.shape[0])
