"""Paper experiment 1 (section 5.1): how well held-out data are embedded.

    python -m experiments.embedding_quality --threads 1          # subsampled: ~15 min
    python -m experiments.embedding_quality --threads 1 --full   # paper sizes: hours

For MNIST and Fashion-MNIST, in 2 and 64 dimensions, four methods are fitted
on training rows and then embed the held-out test rows:

- ours: ``ParametricUMAP()`` (parametric UMAP);
- ours + AE: ``ParametricUMAP(reconstruction=True)`` (UMAP loss + autoencoder);
- umap-learn ``UMAP`` (fit on the training rows, ``transform`` the test rows);
- scikit-learn ``PCA``.

The test embeddings are scored with every metric of
``pumap_core.eval.metrics.evaluate`` (kNN classifiers fitted on the training
embedding, scored on the test embedding). The kNN of each training set is
computed once and passed to every fit of ours. The MNIST 2-D table shows the
paper's numbers beside ours.

Writes ``embedding_quality.csv`` (a row per data set, dimension and method),
``embedding_quality_tables.md`` and ``embedding_quality_<data set>.png`` (the
2-D test embeddings) under ``--out``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from harness import methods
from harness.cli import add_methods_argument, parser
from harness.data import Split, load_split
from harness.figures import scatter_row
from harness.paper import PAPER_MNIST_2D
from harness.paths import EXPERIMENT_RESULTS
from harness.report import TIMING_NOTE, markdown_table, size_note, write_sections
from harness.scoring import score
from harness.threads import set_threads
from harness.timing import timed

#: Short name (``--methods``) -> label in the tables.
METHODS = {"ours": "ours", "ours-ae": "ours + AE", "umap": "umap-learn UMAP", "pca": "PCA"}
PAPER_NAMES = {"parametric umap": "paper: P-UMAP", "parametric umap + ae": "paper: P-UMAP + AE"}
FASHION_CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Boot"]


@dataclass
class Sizes:
    """Rows and epochs of one run; ``None`` means all rows / the estimator's default."""

    n_train: int | None
    n_test: int | None
    n_epochs: int | None


#: Default run: under 15 minutes at one thread on a shared two-core machine.
#: 12,000 training rows: above 10,000 umap-learn runs 200 epochs, not 500. Ours
#: trains 10 epochs (~1,500 optimiser steps), far fewer than its default
#: ("auto": ~6M edge samples, ~75 epochs at 12,000 rows); with the autoencoder
#: each step costs ~4 times as much (the decoder writes 784 pixels per node).
DEFAULT_SIZES = Sizes(n_train=12_000, n_test=2_000, n_epochs=10)
FULL_SIZES = Sizes(n_train=None, n_test=None, n_epochs=None)


def fit_method(method: str, dim: int, split: Split, knn, n_epochs: int | None,
               seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Fit ``method`` on the training rows; ``(train codes, test codes, fit seconds)``."""
    if method in ("ours", "ours-ae"):
        model = methods.ours(dim, reconstruction=method == "ours-ae", n_epochs=n_epochs,
                             seed=seed)
        _, seconds = timed(lambda: model.fit(split.X_train, knn=knn))
        return model.embedding_, model.transform(split.X_test), seconds
    model = methods.umap_learn(dim, seed=seed) if method == "umap" else methods.pca(dim, seed)
    Z_train, seconds = timed(lambda: model.fit_transform(split.X_train))
    return np.asarray(Z_train), np.asarray(model.transform(split.X_test)), seconds


def run_split(split: Split, names: list[str], dims: list[int], n_epochs: int | None,
              seed: int) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The methods ``names`` in all ``dims`` on one data set: result rows and the 2-D test
    codes."""
    knn = methods.knn_for(split.X_train, seed=seed)
    rows, panels = [], {}
    for dim in dims:
        for method in names:
            Z_train, Z_test, seconds = fit_method(method, dim, split, knn, n_epochs, seed)
            metrics = score(split, Z_train, Z_test, seed)
            label = METHODS[method]
            rows.append({"dataset": split.name, "dim": dim, "method": label,
                         "fit_s": seconds, **metrics})
            print(f"  {split.name} {dim}-D {label}: fit {seconds:.0f} s, trustworthiness "
                  f"{metrics['trustworthiness']:.4f}, 1-NN {metrics['knn_accuracy_1']:.4f}",
                  flush=True)
            if dim == 2:
                panels[label] = Z_test
    return rows, panels


def table_for(results: pd.DataFrame, dataset: str, dim: int) -> pd.DataFrame:
    """One data set and dimension: a row per method, the paper's rows beside MNIST 2-D."""
    part = results[(results.dataset == dataset) & (results.dim == dim)]
    table = part.drop(columns=["dataset", "dim"]).set_index("method")
    if dataset == "mnist" and dim == 2:
        paper = pd.DataFrame.from_dict(PAPER_MNIST_2D, orient="index").rename(index=PAPER_NAMES)
        table = pd.concat([table, paper])
    table.index.name = "method"
    return table


def write_tables(results: pd.DataFrame, out: Path, notes: list[str]) -> str:
    """embedding_quality_tables.md: one table per data set and dimension, then the notes."""
    parts = []
    for (dataset, dim), _ in results.groupby(["dataset", "dim"], sort=False):
        table = table_for(results, dataset, dim)
        parts.append(f"### {dataset}, {dim}-D (held-out test rows)\n\n"
                     + markdown_table(table).replace("| nan ", "| — "))
    return write_sections(out, "embedding_quality_tables", parts, notes)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    p = parser(__doc__.split("\n\n")[0], EXPERIMENT_RESULTS)
    p.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"])
    p.add_argument("--dims", nargs="+", type=int, default=[2, 64])
    add_methods_argument(p, METHODS)
    p.add_argument("--n-train", type=int, help="training rows (default 12,000; --full: all)")
    p.add_argument("--n-test", type=int, help="test rows (default 2,000; --full: all)")
    p.add_argument("--epochs", type=int, help="epochs of ours (default 10; --full: auto)")
    a = p.parse_args(argv)
    set_threads(a.threads)
    base = FULL_SIZES if a.full else DEFAULT_SIZES
    sizes = Sizes(a.n_train or base.n_train, a.n_test or base.n_test, a.epochs or base.n_epochs)
    a.out.mkdir(parents=True, exist_ok=True)
    rows, notes = [], []
    for name in a.datasets:
        split = load_split(name, a.data_dir, n_train=sizes.n_train, n_test=sizes.n_test,
                           seed=a.seed)
        notes.append(size_note(split))
        print(notes[-1], flush=True)
        split_rows, panels = run_split(split, a.methods, a.dims, sizes.n_epochs, a.seed)
        rows += split_rows
        if panels:
            scatter_row([(label, Z, split.y_test) for label, Z in panels.items()],
                        a.out / f"embedding_quality_{name}.png",
                        f"{name}: 2-D embeddings of held-out rows", size=3.6, colorbar=True,
                        class_names=FASHION_CLASSES if name == "fashion-mnist" else None)
    epochs = "its default ('auto')" if sizes.n_epochs is None else f"n_epochs={sizes.n_epochs}"
    notes += [f"ours trained with {epochs}; umap-learn with its defaults; seed {a.seed}.",
              "fit_s: ours from the precomputed kNN (computed once per data set, not counted); "
              "umap-learn including its own kNN. " + TIMING_NOTE,
              "Paper rows: Sainburg, McInnes & Gentner (2021), MNIST 2-D, 60,000 training "
              "rows; — = not reported."]
    results = pd.DataFrame(rows)
    results.to_csv(a.out / "embedding_quality.csv", index=False, float_format="%.5g")
    print(write_tables(results, a.out, notes), flush=True)
    return results


if __name__ == "__main__":
    main()
