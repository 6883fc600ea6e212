"""Paper experiment 4: semi-supervised learning with a UMAP loss (paper §4.2, §5.5, Fig. 3).

    python -m experiments.semi_supervised --threads 1          # default sizes, ~10.5 min
    python -m experiments.semi_supervised --threads 1 --full   # all rows, 5 seeds: hours

A Y-shaped network: one MLP encoder maps a row to a latent layer z; UMAP's
cross-entropy (on the graph of ALL training rows, labelled or not) shapes z
and a classifier head reads z, trained on the few labelled rows. As in the
paper's code, the head reads the layer the UMAP loss acts on, so the structure
UMAP finds in the unlabelled data is what the classifier sees.

(a) Two moons (Fig. 3): a handful of labels per class; classifier alone
    (``umap_weight=0``) vs classifier + UMAP loss; accuracy on the unlabelled
    points and a figure of both decision regions and 2-D embeddings.
(b) MNIST and Fashion-MNIST with 4, 16, 64, 256 labels per class: classifier
    alone, + augmentation, + UMAP loss, + UMAP loss + augmentation; accuracy
    on held-out test rows (``predict``), mean and standard deviation over seeds.
    The kNN graph is built once per data set and reused by every fit.

Writes into ``--out`` (default experiments/results/): semi_supervised_moons.csv
/ .md / .png, semi_supervised_runs.csv (every fit), semi_supervised_table.csv
/ .md (mean ± sd) and semi_supervised_accuracy.png.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from harness.cli import parser
from harness.data import Split, load_split
from harness.methods import N_NEIGHBORS, knn_for
from harness.paths import EXPERIMENT_RESULTS
from harness.report import size_note, write_table
from harness.threads import set_threads
from pumap_core import ParametricUMAP
from pumap_core.nets import MLPEncoder
from pumap_core.nets.augment import Augmented, ImageJitter

DATASETS = ("mnist", "fashion-mnist")
LABELS_PER_CLASS = (4, 16, 64, 256)


@dataclass(frozen=True)
class Method:
    """One arm of the comparison: is UMAP's loss on, are inputs augmented."""

    name: str
    umap_weight: float
    augment: bool


METHODS = (Method("classifier", 0.0, False), Method("classifier + aug", 0.0, True),
           Method("classifier + umap", 1.0, False), Method("classifier + umap + aug", 1.0, True))


@dataclass
class Settings:
    """Sizes and training knobs; ``for_args`` picks the default or the ``--full`` run."""

    n_train: int | None
    n_test: int | None
    seeds: int
    n_epochs: int
    n_components: int
    moons_points: int
    moons_labels: int
    moons_epochs: int
    moons_seeds: int
    max_shift: int = 2  # whole pixels of random translation (augmented arms)
    n_neighbors: int = N_NEIGHBORS

    @classmethod
    def for_args(cls, args) -> Settings:
        if args.full:
            base = cls(n_train=None, n_test=None, seeds=5, n_epochs=20, n_components=64,
                       moons_points=2000, moons_labels=3, moons_epochs=50, moons_seeds=10)
        else:
            base = cls(n_train=5000, n_test=5000, seeds=3, n_epochs=4, n_components=64,
                       moons_points=1000, moons_labels=3, moons_epochs=30, moons_seeds=5)
        for name in ("n_train", "n_test", "seeds", "n_epochs", "moons_points", "moons_epochs",
                     "moons_seeds"):
            value = getattr(args, name)
            if value is not None:
                setattr(base, name, value)
        return base


def y_network(n_features: int, n_components: int, seed: int,
              image_shape: Sequence[int] | None = None, max_shift: int = 0) -> nn.Module:
    """A fresh MLP encoder (seeded), wrapped in training-only image jitter when
    ``max_shift`` > 0; the classifier head reads its latent layer (see fit_y_network)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net: nn.Module = MLPEncoder(n_features, n_components)
    if max_shift > 0:
        net = Augmented(net, ImageJitter(image_shape, max_shift=max_shift, seed=seed))
    return net


def pick_labels(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """``y`` with all but ``per_class`` random rows of each class set to −1."""
    rng = np.random.default_rng(seed)
    labels = np.full(len(y), -1, dtype=np.int64)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        chosen = rng.choice(rows, min(per_class, len(rows)), replace=False)
        labels[chosen] = y[chosen]
    return labels


def fit_y_network(X: np.ndarray, labels: np.ndarray, method: Method, encoder: nn.Module,
                  n_components: int, n_epochs: int, seed: int,
                  knn: tuple[np.ndarray, np.ndarray] | None = None) -> ParametricUMAP:
    # the head reads z, the layer UMAP's loss shapes (as in the paper's networks)
    model = ParametricUMAP(n_components=n_components, umap_weight=method.umap_weight,
                           encoder=encoder, n_epochs=n_epochs, random_state=seed,
                           classifier_input="latent")
    return model.fit(X, labels, knn=knn)


# ------------------------------------------------------------------ (a) moons
def moons_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    X, y = make_moons(n, noise=0.1, random_state=seed)
    return X.astype(np.float32), y


def run_moons(s: Settings) -> tuple[pd.DataFrame, dict[str, tuple[ParametricUMAP, np.ndarray]]]:
    """Classifier alone vs + UMAP loss, ``moons_seeds`` draws of data and labels.

    Returns one row per fit and, for the figure, seed 0's models and labels.
    """
    rows, shown = [], {}
    for seed in range(s.moons_seeds):
        X, y = moons_data(s.moons_points, seed)
        labels = pick_labels(y, s.moons_labels, seed)
        unlabelled = labels < 0
        for method in METHODS:
            if method.augment:
                continue  # no image to jitter
            start = time.perf_counter()
            model = fit_y_network(X, labels, method, y_network(2, 2, seed), 2, s.moons_epochs,
                                  seed)
            acc = float(np.mean(model.predict(X[unlabelled]) == y[unlabelled]))
            rows.append({"method": method.name, "seed": seed, "accuracy": acc,
                         "fit_seconds": time.perf_counter() - start})
            if seed == 0:
                shown[method.name] = (model, labels)
    return pd.DataFrame(rows), shown


def plot_moons(shown: dict[str, tuple[ParametricUMAP, np.ndarray]], s: Settings,
               path: Path) -> None:
    """Per method: decision regions in data space (top) and the 2-D embedding (bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = moons_data(s.moons_points, 0)
    xx, yy = np.meshgrid(np.linspace(-1.6, 2.6, 240), np.linspace(-1.1, 1.6, 160))
    grid = np.c_[xx.ravel(), yy.ravel()].astype(np.float32)
    fig, axes = plt.subplots(2, len(shown), figsize=(5 * len(shown), 8.5), squeeze=False)
    for col, (name, (model, labels)) in enumerate(shown.items()):
        lab = labels >= 0
        acc = np.mean(model.predict(X[~lab]) == y[~lab])
        top, bottom = axes[0, col], axes[1, col]
        prob = model.predict_proba(grid)[:, 1].reshape(xx.shape)
        top.contourf(xx, yy, prob, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.35)
        top.contour(xx, yy, prob, levels=[0.5], colors="k", linewidths=1)
        top.scatter(*X[~lab].T, c=y[~lab], cmap="coolwarm", s=3, alpha=0.6)
        top.scatter(*X[lab].T, c=y[lab], cmap="coolwarm", s=90, edgecolors="k", linewidths=1.5)
        top.set_title(f"{name}: accuracy on unlabelled {acc:.3f}")
        Z = model.transform(X)
        bottom.scatter(*Z[~lab].T, c=model.predict(X[~lab]), cmap="coolwarm", s=3, alpha=0.6)
        bottom.scatter(*Z[lab].T, c=y[lab], cmap="coolwarm", s=90, edgecolors="k",
                       linewidths=1.5)
        bottom.set_title(f"{name}: latent z (colour = predicted class)")
    fig.suptitle(f"Two moons ({s.moons_points} points, {s.moons_labels} labels per class, "
                 "big dots = labelled); seed 0")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------- (b) image data
def run_images(split: Split, s: Settings, labels_per_class: Sequence[int],
               methods: Sequence[Method]) -> pd.DataFrame:
    """Every method × labels per class × seed on one data set (one kNN for all)."""
    knn = knn_for(split.X_train, s.n_neighbors, seed=0)
    d = split.X_train.shape[1]
    rows = []
    for per_class in labels_per_class:
        for seed in range(s.seeds):
            labels = pick_labels(split.y_train, per_class, seed)
            for method in methods:
                start = time.perf_counter()
                encoder = y_network(d, s.n_components, seed, split.image_shape,
                                    s.max_shift if method.augment else 0)
                model = fit_y_network(split.X_train, labels, method, encoder, s.n_components,
                                      s.n_epochs, seed, knn)
                acc = float(np.mean(model.predict(split.X_test) == split.y_test))
                rows.append({"dataset": split.name, "labels_per_class": per_class,
                             "method": method.name, "seed": seed, "accuracy": acc,
                             "umap_weight": method.umap_weight, "augment": method.augment,
                             "n_labelled": int((labels >= 0).sum()),
                             "n_train": len(split.X_train), "n_test": len(split.X_test),
                             "n_epochs": s.n_epochs,
                             "fit_seconds": round(time.perf_counter() - start, 2)})
                print(f"  {split.name} {per_class:>4}/class seed {seed} {method.name:<24} "
                      f"accuracy {acc:.4f}", flush=True)
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Mean, standard deviation and count of accuracy per ``keys``."""
    g = runs.groupby(list(keys), sort=False)["accuracy"]
    return pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1).fillna(0.0), "n": g.size()})


def accuracy_table(summary: pd.DataFrame) -> pd.DataFrame:
    """(data set, labels per class) rows × method columns of "mean ± sd" strings."""
    cells = summary.apply(lambda r: f"{r['mean']:.3f} ± {r['sd']:.3f}", axis=1)
    table = cells.unstack("method")
    table = table[[m.name for m in METHODS if m.name in table.columns]]
    table.columns.name = None
    return table.reset_index()


def plot_accuracy(summary: pd.DataFrame, path: Path, note: str) -> None:
    """Accuracy vs labels per class (log x), one panel per data set, error bars = sd."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(summary.index.get_level_values("dataset").unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4.5), squeeze=False)
    for ax, name in zip(axes[0], datasets, strict=True):
        part = summary.xs(name, level="dataset")
        for method in METHODS:
            if method.name not in part.index.get_level_values("method"):
                continue
            m = part.xs(method.name, level="method").sort_index()
            ax.errorbar(m.index, m["mean"], yerr=m["sd"], marker="o", capsize=3,
                        linestyle="--" if method.umap_weight == 0 else "-", label=method.name)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(part.index.get_level_values("labels_per_class").unique()))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("labels per class")
        ax.set_ylabel("test accuracy")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(textwrap.fill(note, 150), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------- main
def describe_sizes(s: Settings, full: bool) -> str:
    """What this run uses next to the paper's sizes (printed, and noted in the outputs)."""
    def rows(n: int | None) -> str:
        return "all" if n is None else f"{n:,}"

    subsampled = s.n_train is not None or s.n_test is not None
    head = "SUBSAMPLED" if subsampled else "ALL ROWS"
    return (f"{head} ({'--full' if full else 'default'}): {rows(s.n_train)} training rows "
            f"(labelled + unlabelled; the paper: all 60,000) and {rows(s.n_test)} test rows "
            f"(paper: 10,000) per data set, {s.seeds} seeds, {s.n_epochs} epochs over the "
            f"graph, an MLP encoder (paper: a conv net trained far longer); moons "
            f"{s.moons_points} points, {s.moons_seeds} seeds.")


def add_arguments(p) -> None:
    p.add_argument("--parts", nargs="+", choices=["moons", "images"], default=["moons", "images"])
    p.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    p.add_argument("--labels-per-class", nargs="+", type=int, default=list(LABELS_PER_CLASS))
    p.add_argument("--methods", nargs="+", choices=[m.name for m in METHODS],
                   default=[m.name for m in METHODS])
    p.add_argument("--n-train", type=int, help="training rows per data set (default 5000)")
    p.add_argument("--n-test", type=int, help="test rows per data set (default 5000)")
    p.add_argument("--seeds", type=int, help="seeds per setting (default 3)")
    p.add_argument("--n-epochs", type=int, help="epochs over the graph (default 4)")
    p.add_argument("--moons-points", type=int)
    p.add_argument("--moons-epochs", type=int)
    p.add_argument("--moons-seeds", type=int)


def main_moons(s: Settings, out: Path) -> pd.DataFrame:
    runs, shown = run_moons(s)
    summary = summarise(runs, ["method"])
    plot_moons(shown, s, out / "semi_supervised_moons.png")
    runs.to_csv(out / "semi_supervised_moons_runs.csv", index=False, float_format="%.4f")
    write_table(summary.rename_axis("method"), out, "semi_supervised_moons",
                title="Two moons: accuracy on the unlabelled points",
                notes=f"{s.moons_points} points (noise 0.1), {s.moons_labels} labels per class, "
                      f"{s.moons_epochs} epochs, {s.moons_seeds} seeds (mean, sd over seeds).")
    return runs


def main_images(s: Settings, args, out: Path, sizes: str) -> pd.DataFrame:
    methods = [m for m in METHODS if m.name in args.methods]
    parts = []
    for name in args.datasets:
        split = load_split(name, args.data_dir, n_train=s.n_train, n_test=s.n_test,
                           seed=args.seed)
        print(size_note(split), flush=True)
        parts.append(run_images(split, s, args.labels_per_class, methods))
    runs = pd.concat(parts, ignore_index=True)
    runs.to_csv(out / "semi_supervised_runs.csv", index=False, float_format="%.4f")
    summary = summarise(runs, ["dataset", "labels_per_class", "method"])
    plot_accuracy(summary, out / "semi_supervised_accuracy.png", sizes)
    write_table(accuracy_table(summary), out, "semi_supervised_table",
                title="Test accuracy (mean ± sd over seeds)", notes=sizes)
    return runs


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.split("\n\n")[0], EXPERIMENT_RESULTS)
    add_arguments(p)
    args = p.parse_args(argv)
    set_threads(args.threads)
    s = Settings.for_args(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = describe_sizes(s, args.full)
    print(sizes, flush=True)
    timings = {}
    for part, run in (("moons", lambda: main_moons(s, out)),
                      ("images", lambda: main_images(s, args, out, sizes))):
        if part in args.parts:
            start = time.perf_counter()
            run()
            timings[part] = time.perf_counter() - start
    print("seconds (on a shared, loaded machine): "
          + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()), flush=True)


if __name__ == "__main__":
    main()
