"""The methods every comparison fits, built one way: ours, umap-learn's UMAP, PCA.

Benchmarks wrap them in runners (:mod:`harness.runners`); experiments call
them directly. Each starts from its library's defaults; only what a script
sets differs.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

#: The paper's n_neighbors (and UMAP's default).
N_NEIGHBORS = 15


def ours(n_components: int = 2, *, reconstruction: bool = False,
         reconstruction_grad: bool = True, n_epochs: int | None = None, seed: int = 0,
         **params: Any) -> Any:
    """``pumap_core.ParametricUMAP`` with its defaults, except what a script sets."""
    from pumap_core import ParametricUMAP

    return ParametricUMAP(n_components=n_components, n_neighbors=N_NEIGHBORS,
                          reconstruction=reconstruction, reconstruction_grad=reconstruction_grad,
                          n_epochs=n_epochs, random_state=seed, **params)


def import_umap_without_tensorflow() -> None:
    """``import umap`` without TensorFlow.

    umap-learn's ``__init__`` imports its ParametricUMAP, hence TensorFlow
    (~15 s and ~1 GB RSS here) whenever TensorFlow is installed. The plain
    UMAP needs none of it, so TensorFlow is hidden for that import;
    ``umap.parametric_umap`` still imports normally later.
    """
    if "umap" in sys.modules:
        return
    hidden = "tensorflow" not in sys.modules
    if hidden:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # import -> ImportError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap  # noqa: F401
    finally:
        if hidden:
            del sys.modules["tensorflow"]


def umap_learn(n_components: int = 2, *, n_epochs: int | list[int] | None = None,
               seed: int | None = 0, **params: Any) -> Any:
    """umap-learn's ``UMAP`` with its defaults (imported without TensorFlow).

    ``seed=None`` leaves umap-learn's parallel SGD on (a seed turns it off).
    """
    import_umap_without_tensorflow()
    import umap

    return umap.UMAP(n_components=n_components, n_neighbors=N_NEIGHBORS, n_epochs=n_epochs,
                     random_state=seed, n_jobs=-1 if seed is None else 1, **params)


def pca(n_components: int = 2, seed: int = 0) -> Any:
    """scikit-learn's ``PCA``: the linear reference."""
    from sklearn.decomposition import PCA

    return PCA(n_components=n_components, random_state=seed)


def knn_for(X: np.ndarray, n_neighbors: int = N_NEIGHBORS,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, distances)`` of ``X``, computed once and passed to every fit of ours."""
    from pumap_core.graph.neighbors import nearest_neighbors

    return nearest_neighbors(X, n_neighbors, random_state=seed)
