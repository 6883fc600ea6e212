"""What every paper-experiment script shares: data splits, arguments, result files.

Each script in ``experiments/`` is run as ``python experiments/<name>.py`` and
writes ``experiments/results/<name>*.csv`` / ``.png`` / ``.md``. Default sizes
fit two CPU cores (subsampled, and each script says so in its output);
``--full`` asks for the paper's sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "experiments" / "results"
if str(REPO) not in sys.path:  # the clone's pumap_core, installed or not
    sys.path.insert(0, str(REPO))

#: The paper's Table (MNIST / Fashion-MNIST, 2-D), Sainburg, McInnes & Gentner 2021.
PAPER_MNIST_2D = {
    "parametric umap": {"trustworthiness": 0.9573, "silhouette": 0.5559, "knn_accuracy_1": 0.9402,
                        "knn_accuracy_5": 0.9614, "kmeans_nmi": 0.7824},
    "parametric umap + ae": {"trustworthiness": 0.9675, "silhouette": 0.4637,
                             "knn_accuracy_1": 0.9403, "knn_accuracy_5": 0.9537,
                             "kmeans_nmi": 0.8460},
}


@dataclass
class Split:
    """Training rows (fit) and held-out rows (transform + metrics) of one data set."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, ...] | None = None

    def describe(self) -> str:
        return f"{self.name}: {len(self.X_train):,} training rows, {len(self.X_test):,} test rows"


def data_dir(arg: str | Path | None = None) -> Path:
    """``--data-dir``, else $PUMAP_DATA_DIR, else ../shared/data beside the repository."""
    if arg:
        return Path(arg)
    env = os.environ.get("PUMAP_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _subsample(n: int, size: int | None, rng: np.random.Generator) -> np.ndarray:
    if size is None or size >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, size, replace=False))


def load_split(name: str, n_train: int | None = None, n_test: int | None = None,
               seed: int = 0, directory: str | Path | None = None) -> Split:
    """``mnist`` or ``fashion-mnist`` (train / test files), randomly subsampled.

    ``None`` keeps every row. Pixels are scaled to [0, 1] (float32 rows).
    Raises ``pumap_core.data.DataError`` when the data set cannot be found.
    """
    from pumap_core.data import load

    rng = np.random.default_rng(seed)
    train = load(name, data_dir=data_dir(directory))
    test = load(f"{name}-test", data_dir=data_dir(directory))
    tr, te = _subsample(len(train.X), n_train, rng), _subsample(len(test.X), n_test, rng)
    shape = tuple(train.images.shape[1:]) if train.images is not None else None
    return Split(name, train.X[tr], train.labels[tr], test.X[te], test.labels[te], shape)


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments every experiment takes; scripts add their own."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true",
                   help="the paper's sizes (all rows, more epochs): hours on two CPU cores")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None,
                   help="folder holding mnist/ (default $PUMAP_DATA_DIR, else ../shared/data)")
    p.add_argument("--threads", type=int, default=2, help="torch and numba threads")
    p.add_argument("--out", type=Path, default=RESULTS, help="where results are written")
    return p


def set_threads(n: int) -> None:
    """Pin torch, numba and the BLAS pools of numpy/scipy to ``n`` threads.

    Unlimited pools thrash a loaded two-core machine: scikit-learn's randomized
    PCA of 600 MNIST rows took 8 s instead of 0.1 s before the BLAS limit.
    """
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    threadpool_limits(n)


def markdown_table(frame: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub Markdown table of ``frame`` (index included when it is named)."""
    shown = frame.reset_index() if frame.index.name else frame
    def cell(v):
        return f"{v:.{digits}f}" if isinstance(v, (float, np.floating)) else str(v)
    lines = ["| " + " | ".join(map(str, shown.columns)) + " |", "|" + "---|" * shown.shape[1]]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(lines)


def write_table(frame: pd.DataFrame, out: Path, stem: str, title: str = "", notes: str = "") -> Path:
    """Write ``<stem>.csv`` and ``<stem>.md`` (title, table, notes) under ``out``; print it."""
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{stem}.csv", index=bool(frame.index.name))
    text = "\n\n".join(part for part in (f"### {title}" if title else "", markdown_table(frame),
                                          notes) if part)
    (out / f"{stem}.md").write_text(text + "\n")
    print(text, flush=True)
    return out / f"{stem}.md"
