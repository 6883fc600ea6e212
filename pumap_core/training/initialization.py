"""Starting layouts for the warm start: where the encoder's outputs begin.

UMAP starts its optimisation from the graph's spectral layout; a network
cannot be *set* to a layout, but it can be regressed onto one in a few cheap
passes (one row per sample, not one edge per sample). After that, UMAP's
loss only refines a layout whose global arrangement is already sensible,
which takes far fewer edge samples than starting from a random network, and
held-out points inherit the smooth global arrangement of the spectral map.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

from ..graph.edges import EdgeSet
from ..nets.projection import fit_pca

INITS = ("spectral", "pca", None)
#: Above this many rows the spectral layout comes from LOBPCG: ARPACK keeps √n Lanczos
#: vectors (8 GB at a million rows) and, on MNIST's graph, took 31 s where LOBPCG took 3 s
#: for the same two eigenvectors (subspace cosines > .99999).
LOBPCG_ROWS = 20_000
LOBPCG_ITERATIONS = 300
#: Below this many rows the Laplacian is solved dense. Above it ARPACK: at 1,797 rows
#: (digits) it finds the same eigenvectors in 0.03 s where a dense solve took 0.55 s
#: alone and 5-9 s on two busy cores (benchmarks/results/app_start.md).
DENSE_EIGEN_ROWS = 200
#: layouts are centred and scaled so that their coordinates have this standard
#: deviation: about the size of a converged UMAP map with min_dist 0.1.
LAYOUT_SCALE = 4.0


def pca_layout(X: np.ndarray, n_components: int, random_state: int | None = 0,
               max_rows: int = 20000) -> np.ndarray:
    """The first principal components of ``X`` (fitted on at most ``max_rows`` rows)."""
    k = min(n_components, min(X.shape[0], max_rows), X.shape[1])
    layout = fit_pca(X, k, random_state, max_rows).transform(X)
    if k < n_components:  # fewer features than components: pad with small noise
        pad = np.random.default_rng(random_state).normal(scale=1e-4,
                                                          size=(X.shape[0], n_components - k))
        layout = np.hstack([layout, pad])
    return scale_layout(layout)


def spectral_layout(edges: EdgeSet, n_components: int, random_state: int | None = 0
                    ) -> np.ndarray | None:
    """Eigenvectors of the graph's normalised Laplacian (UMAP's own initialisation).

    Returns None when the graph is not connected or the eigensolver does not
    converge; the caller then falls back to another layout.
    """
    graph = edges.to_sparse().tocsr()
    n = graph.shape[0]
    k = n_components + 1
    if n <= k + 1:
        return None
    n_parts, _ = scipy.sparse.csgraph.connected_components(graph, directed=False)
    if n_parts > 1:
        return None
    degree = np.asarray(graph.sum(axis=1)).ravel()
    inv_sqrt = scipy.sparse.diags(1.0 / np.sqrt(np.maximum(degree, 1e-12)))
    rng = np.random.default_rng(random_state)
    if n > LOBPCG_ROWS:
        return _lobpcg_layout(inv_sqrt @ graph @ inv_sqrt, degree, n_components, rng)
    laplacian = scipy.sparse.identity(n, format="csr") - inv_sqrt @ graph @ inv_sqrt
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if n < DENSE_EIGEN_ROWS:
                values, vectors = np.linalg.eigh(laplacian.toarray())
            else:
                values, vectors = scipy.sparse.linalg.eigsh(
                    laplacian, k, which="SM", ncv=max(2 * k + 1, int(np.sqrt(n))), tol=1e-4,
                    v0=rng.normal(size=n), maxiter=n * 5)
    except (scipy.sparse.linalg.ArpackError, np.linalg.LinAlgError):
        return None
    order = np.argsort(values)[1:k]  # skip the constant eigenvector
    return scale_layout(vectors[:, order])


def _lobpcg_layout(normalized: scipy.sparse.spmatrix, degree: np.ndarray, n_components: int,
                   rng: np.random.Generator) -> np.ndarray | None:
    """The same eigenvectors by LOBPCG: memory of a few vectors, not ARPACK's √n of them.

    The smallest eigenvectors of the Laplacian are the largest of the normalised
    adjacency D^-1/2 A D^-1/2; the constant one (∝ √degree) is projected out.
    """
    trivial = np.sqrt(degree)[:, None]
    trivial /= np.linalg.norm(trivial)
    start = rng.normal(size=(degree.shape[0], n_components))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "not reaching the requested tolerance"
            _, vectors = scipy.sparse.linalg.lobpcg(normalized, start, Y=trivial, largest=True,
                                                    tol=1e-4, maxiter=LOBPCG_ITERATIONS)
    except (np.linalg.LinAlgError, ValueError):
        return None
    return scale_layout(vectors)


def scale_layout(layout: np.ndarray) -> np.ndarray:
    """Centre, then scale to a common spread (:data:`LAYOUT_SCALE`), as float32."""
    layout = np.asarray(layout, dtype=np.float64)
    layout = layout - layout.mean(axis=0)
    spread = layout.std()
    if spread > 0:
        layout = layout * (LAYOUT_SCALE / spread)
    return layout.astype(np.float32)


def initial_layout(kind: str | None, X: np.ndarray, edges: EdgeSet, n_components: int,
                   random_state: int | None = 0) -> np.ndarray | None:
    """The layout named by ``kind`` (``"spectral"`` falls back to PCA), or None."""
    if kind not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {kind!r}")
    if kind is None:
        return None
    if kind == "spectral":
        layout = spectral_layout(edges, n_components, random_state)
        if layout is not None:
            return layout
    return pca_layout(X, n_components, random_state)
