"""What ``global_structure.py`` and ``direct_vs_indirect.py`` share.

MNIST at a size that fits two CPU cores (and says so), the held-out metrics
of one 2-D embedding, and a row of labelled scatter plots.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from common import Split, load_split

#: MNIST's own sizes (the paper's): 60,000 training and 10,000 test digits.
MNIST_SIZES = (60_000, 10_000)


def add_size_args(p: argparse.ArgumentParser, n_train: int, n_test: int) -> None:
    """``--n-train`` / ``--n-test``: the default subsample; ``--full`` overrides both."""
    p.add_argument("--n-train", type=int, default=n_train,
                   help=f"training rows (default {n_train:,}; --full: all 60,000)")
    p.add_argument("--n-test", type=int, default=n_test,
                   help=f"held-out rows (default {n_test:,}; --full: all 10,000)")


def load_mnist(args: argparse.Namespace) -> Split:
    """MNIST subsampled to ``--n-train``/``--n-test`` rows, or all of it with ``--full``."""
    n_train, n_test = (None, None) if args.full else (args.n_train, args.n_test)
    return load_split("mnist", n_train, n_test, args.seed, args.data_dir)


def size_note(split: Split) -> str:
    """"MNIST: 10,000 of 60,000 training rows (subsampled), ..." for the outputs."""
    parts = []
    for what, n, full in (("training", len(split.X_train), MNIST_SIZES[0]),
                          ("test", len(split.X_test), MNIST_SIZES[1])):
        tag = "all, as in the paper" if n >= full else "random subsample; the paper used all"
        parts.append(f"{n:,} of {full:,} {what} rows ({tag})")
    return f"{split.name}: " + ", ".join(parts)


@contextmanager
def timed(into: dict[str, float], key: str) -> Iterator[None]:
    """Store the wall seconds of the ``with`` block under ``into[key]``."""
    start = time.perf_counter()
    yield
    into[key] = time.perf_counter() - start


def held_out_metrics(split: Split, Z_train: np.ndarray, Z_test: np.ndarray,
                     distance_sample: int = 2000, seed: int = 0) -> dict[str, float]:
    """Global and local structure of the held-out embedding ``Z_test``.

    Distance correlations compare raw-pixel and embedding distances of a random
    ``distance_sample`` test rows (the same rows for every method: same seed);
    1-NN accuracy classifies test rows by their nearest training embedding.
    """
    from pumap_core import metrics

    X, y = split.X_test, split.y_test
    return {
        "distance_corr_pearson": metrics.distance_correlation(X, Z_test, distance_sample,
                                                              "pearson", seed),
        "distance_corr_spearman": metrics.distance_correlation(X, Z_test, distance_sample,
                                                               "spearman", seed),
        "trustworthiness": metrics.trustworthiness(X, Z_test, k=5),
        "silhouette": metrics.silhouette(Z_test, y),
        "knn_accuracy_1": metrics.knn_accuracy(Z_train, split.y_train, Z_test, y, k=1),
    }


def scatter_row(panels: Sequence[tuple[str, np.ndarray, np.ndarray]], path: Path,
                title: str = "", size: float = 2.6) -> Path:
    """One small 2-D scatter per ``(caption, Z, labels)``, coloured by label, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(size * len(panels), size + 0.4),
                             squeeze=False)
    for ax, (caption, Z, labels) in zip(axes[0], panels, strict=True):
        ax.scatter(Z[:, 0], Z[:, 1], c=labels, cmap="tab10", s=1.5, alpha=0.6,
                   linewidths=0, rasterized=True)
        ax.set_title(caption, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
