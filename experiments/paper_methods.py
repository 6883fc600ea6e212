"""The methods that paper experiments 1, 3 and 6 compare, and what those scripts share.

``embedding_quality.py`` (paper section 5.1), ``reconstruction.py`` (5.4.1) and
``speed.py`` (5.2) all fit ours (``pumap_core.ParametricUMAP``), umap-learn's
``UMAP`` and scikit-learn's ``PCA`` on one split; this module builds them the
same way everywhere, computes the kNN once per data set, times calls and
draws the figures.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # a clean clone runs without `pip install -e .`
    sys.path.insert(0, str(REPO))

from pumap_core import ParametricUMAP  # noqa: E402

#: The paper's n_neighbors (and UMAP's default).
N_NEIGHBORS = 15

#: Printed under every table that holds seconds.
TIMING_NOTE = ("Times are wall-clock seconds on a shared two-core machine while other work "
               "ran on it: indicative only. Compare ratios within one run, not with other runs "
               "or the paper.")


def write_sections(out: Path, stem: str, sections: list[str], notes: list[str]) -> str:
    """``<stem>.md`` under ``out``: the sections, then the notes as a bullet list."""
    text = "\n\n".join([*sections, "\n".join(f"- {n}" for n in notes)]) + "\n"
    (out / f"{stem}.md").write_text(text)
    return text


def add_methods_argument(p: Any, methods: dict[str, str]) -> None:
    """``--methods``: a subset of ``methods`` (short key -> table label) to run."""
    p.add_argument("--methods", nargs="+", choices=list(methods), default=list(methods),
                   help="methods to run: " + "; ".join(f"{k} = {v}" for k, v in methods.items()))


def knn_for(X: np.ndarray, n_neighbors: int = N_NEIGHBORS,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, distances)`` of ``X``, computed once and passed to every fit of ours."""
    from pumap_core.knn import nearest_neighbors

    return nearest_neighbors(X, n_neighbors, random_state=seed)


def ours(n_components: int = 2, *, reconstruction: bool = False,
         reconstruction_grad: bool = True, n_epochs: int | None = None, seed: int = 0,
         **params: Any) -> ParametricUMAP:
    """Our estimator with its defaults, except what an experiment sets."""
    return ParametricUMAP(n_components=n_components, n_neighbors=N_NEIGHBORS,
                          reconstruction=reconstruction, reconstruction_grad=reconstruction_grad,
                          n_epochs=n_epochs, random_state=seed, **params)


def umap_learn(n_components: int = 2, *, n_epochs: int | list[int] | None = None,
               seed: int | None = 0) -> Any:
    """umap-learn's ``UMAP`` with its defaults (imported without TensorFlow).

    ``seed=None`` leaves umap-learn's parallel SGD on (a seed turns it off).
    """
    from benchmarks.peers import import_umap_without_tensorflow

    import_umap_without_tensorflow()
    import umap

    return umap.UMAP(n_components=n_components, n_neighbors=N_NEIGHBORS, n_epochs=n_epochs,
                     random_state=seed, n_jobs=-1 if seed is None else 1)


def pca(n_components: int = 2, seed: int = 0) -> Any:
    from sklearn.decomposition import PCA

    return PCA(n_components=n_components, random_state=seed)


def median_seconds(fn: Callable[[], Any], repeats: int, warm_up: bool = True) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after one untimed call.

    The warm-up keeps one-off costs (numba compilation, first-call allocations)
    out of the number, as the paper's timings do.
    """
    if warm_up:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seconds_per_1000(fn: Callable[[np.ndarray], Any], Z: np.ndarray, repeats: int) -> float:
    """Median seconds of ``fn(Z)`` per 1,000 rows of ``Z``.

    A call on a few rows first compiles and allocates (umap-learn's numba code
    compiles on first use) without paying a full extra call of a slow method.
    """
    fn(Z[: min(len(Z), 16)])
    return median_seconds(lambda: fn(Z), repeats, warm_up=False) * 1000.0 / len(Z)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), seconds)``."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def sizes_note(split: Any, full: bool, paper: str = "60,000 training / 10,000 test rows") -> str:
    """Say what was subsampled, so no default-size number passes for the paper's."""
    used = f"{len(split.X_train):,} training / {len(split.X_test):,} test rows"
    if full:
        return f"{split.name}: {used} (the paper's sizes)."
    return (f"{split.name}: SUBSAMPLED to {used} (paper: {paper}); run with --full for "
            f"the paper's sizes.")


def scatter_panels(panels: dict[str, np.ndarray], labels: np.ndarray, title: str,
                   path: Path, class_names: list[str] | None = None) -> Path:
    """One scatter per method of 2-D codes coloured by class, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.9), squeeze=False)
    for ax, (name, Z) in zip(axes[0], panels.items(), strict=True):
        points = ax.scatter(Z[:, 0], Z[:, 1], c=labels, cmap="tab10", s=2, vmin=-0.5,
                            vmax=9.5, rasterized=True, linewidths=0)
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    bar = fig.colorbar(points, ax=axes[0].tolist(), ticks=range(10), shrink=0.8)
    if class_names is not None:
        bar.ax.set_yticklabels(class_names, fontsize=7)
    fig.suptitle(title, fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
