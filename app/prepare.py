"""Before the first embedding: a PCA preview, and how long the neighbour graph takes.

Graph times are remembered per process and per neighbour search (exact or
NN-descent: their costs differ by orders of magnitude), so the second graph of
a kind comes with an estimate of the time left.
"""

from __future__ import annotations

import numpy as np

from pumap_core.graph.neighbors import choose_knn_method

from .faces import preset
from .progress import clock

#: rows of the PCA preview's fit (all rows are projected)
PREVIEW_FIT_ROWS = 5000
#: seconds per data value (rows × features) of the last graph built, by search
_graph_rate: dict[str, float] = {}


def pca_preview(X: np.ndarray, fit_rows: int = PREVIEW_FIT_ROWS) -> np.ndarray:
    """A 2-D PCA of ``X`` (fitted on a subsample): something to look at within a second."""
    from sklearn.decomposition import PCA

    rows = np.random.default_rng(0).choice(len(X), min(len(X), fit_rows), replace=False)
    pca = PCA(n_components=2, svd_solver="randomized", random_state=0).fit(X[rows])
    return pca.transform(X).astype(np.float32)


def search(ds) -> str:
    """The neighbour search the graph of ``ds`` runs, as the library decides it for the
    settings Train uses ("exact" or "approx")."""
    return choose_knn_method(ds.n_samples, ds.n_features, preset(ds).get("knn_method", "auto"))


def record(ds, seconds: float) -> None:
    _graph_rate[search(ds)] = seconds / max(ds.X.size, 1)


def progress_text(ds, building: bool, elapsed: float) -> str:
    """"building the neighbour graph of 70,000 items · 0:12 so far · about 0:20 left"."""
    what = "building the neighbour graph" if building else "preparing the run"
    text = f"{what} of {ds.n_samples:,} items · {clock(elapsed)} so far"
    rate = _graph_rate.get(search(ds))
    if building and rate:
        left = rate * ds.X.size - elapsed
        text += f" · about {clock(max(left, 1))} left" if left > 0 else " · nearly done"
    elif building and search(ds) == "approx":
        text += " · the first large graph also compiles the neighbour search (a minute or two)"
    return text
