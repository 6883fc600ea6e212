"""Direct vs indirect training of small networks (paper section 5.6, Fig. 15).

    python -m experiments.direct_vs_indirect --threads 1         # ~12 min, subsampled
    python -m experiments.direct_vs_indirect --full               # all 60,000 digits

A network with one hidden ReLU layer of width w (pixels -> w -> 2) is trained
two ways on the same MNIST rows and the same fuzzy graph:

- direct: on UMAP's loss, as ``ParametricUMAP(encoder=net)``;
- indirect: by mean-squared error to the 2-D embedding a non-parametric UMAP
  (umap-learn, same kNN, n_neighbors and min_dist) found for those rows.

Both start from the same initial weights, take the same number of Adam steps
at the same learning rate, and encode about as many rows per step (a direct
step encodes the <= 2 x batch_size endpoints of its edges; an indirect step
regresses 2 x batch_size random rows). Every embedding, the non-parametric
one included, is then scored on that one graph with UMAP's cross-entropy
(eq. 2.8, ``pumap_core.eval.objective.umap_cross_entropy``; exact over all pairs up
to 20,000 rows), with the loss negative sampling actually minimises
(:func:`pumap_core.eval.objective.sampled_objective`; it weights repulsion ~n/30 times less) and with
trustworthiness (training rows; held-out rows for the two networks).

Writes direct_vs_indirect_runs.csv (one row per seed, width and method),
direct_vs_indirect_metrics.csv/.md (mean and sd over seeds),
direct_vs_indirect.png (objective vs width) and
direct_vs_indirect_embeddings.png under --out.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from harness import methods
from harness.cli import add_size_args, load_mnist, parser
from harness.data import Split
from harness.figures import scatter_row
from harness.paths import EXPERIMENT_RESULTS
from harness.report import size_note, write_table
from harness.threads import set_threads
from harness.timing import timed
from pumap_core import ParametricUMAP
from pumap_core.graph import NeighborGraph

DEFAULT_WIDTHS = (2, 8, 32, 128, 512)
N_NEIGHBORS = methods.N_NEIGHBORS
MIN_DIST = 0.1
BATCH_SIZE = 512  # edges per direct step (the estimator's default)
NEGATIVE_SAMPLE_RATE = 5  # the estimator's and umap-learn's default
LEARNING_RATE = 3e-3  # the estimator's default, used for both trainings
#: Default epochs of the direct fit on the subsample: ~2,100 Adam steps at 2,000 rows.
#: Direct training is slow to converge (width 8, 1,500 rows: sampled loss 11.4, 10.3,
#: 9.1 after 15, 60, 150 epochs), so steps matter more than rows here; the library's
#: "auto" would be its cap, 200 epochs. --full uses "auto" (~15 epochs at 60,000).
DEFAULT_EPOCHS = 80


@dataclass
class Shared:
    """What every width of one seed shares: the data, its kNN, graph and UMAP embedding."""

    split: Split
    knn: tuple[np.ndarray, np.ndarray]
    graph: NeighborGraph
    umap_embedding: np.ndarray
    seed: int


def one_hidden_layer(n_features: int, width: int, seed: int) -> nn.Sequential:
    """pixels -> ``width`` ReLU units -> 2, initialised from ``seed`` (same for both methods)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, 2))


def umap_learn_embedding(X: np.ndarray, knn: tuple[np.ndarray, np.ndarray],
                         seed: int) -> tuple[np.ndarray, object]:
    """umap-learn's non-parametric UMAP on our kNN; its embedding and its own graph."""
    model = methods.umap_learn(seed=seed, min_dist=MIN_DIST,
                               negative_sample_rate=NEGATIVE_SAMPLE_RATE, precomputed_knn=knn)
    with warnings.catch_warnings():  # "no search index: no transform", "seed: one thread"
        warnings.simplefilter("ignore", UserWarning)
        Z = model.fit_transform(X)
    return np.asarray(Z), model.graph_


def graph_difference(ours: NeighborGraph, theirs) -> float:
    """Relative L1 difference of two weighted graphs (sum |A - B| / sum A)."""
    a = ours.edges.to_sparse().astype(np.float64)
    return float(abs(a - theirs.astype(np.float64)).sum() / a.sum())


def prepare(split: Split, seed: int) -> tuple[Shared, float]:
    """kNN once, our graph from it, and umap-learn's embedding from the same kNN."""
    from pumap_core.graph import build_graph

    knn = methods.knn_for(split.X_train, seed=seed)
    graph = build_graph(split.X_train, N_NEIGHBORS, knn=knn)
    Z, their_graph = umap_learn_embedding(split.X_train, knn, seed)
    return Shared(split, knn, graph, Z, seed), graph_difference(graph, their_graph)


def fit_direct(shared: Shared, net: nn.Module, epochs: int | None) -> ParametricUMAP:
    """Train ``net`` on UMAP's loss; the fitted estimator (its graph must be ours)."""
    model = ParametricUMAP(encoder=net, n_neighbors=N_NEIGHBORS, min_dist=MIN_DIST,
                           negative_sample_rate=NEGATIVE_SAMPLE_RATE, n_epochs=epochs, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
                           random_state=shared.seed)
    model.fit(shared.split.X_train, knn=shared.knn)
    ours, theirs = shared.graph.edges, model.graph_.edges
    if not (np.array_equal(ours.head, theirs.head) and np.array_equal(ours.tail, theirs.tail)
            and np.array_equal(ours.weight, theirs.weight)):
        raise RuntimeError("the direct fit built a different graph from the shared kNN")
    return model


def direct_steps(model: ParametricUMAP) -> int:
    """How many Adam steps the direct fit took (edge mass / batch, per epoch)."""
    from pumap_core.graph.sampling import EdgeSampler

    return EdgeSampler(model.graph_.edges, model.batch_size).steps_per_epoch * model.n_epochs_


class Regressor(nn.Module):
    """A net trained on standardised targets, mapped back to the target's units."""

    def __init__(self, net: nn.Module, centre: np.ndarray, scale: float) -> None:
        super().__init__()
        self.net, self.scale = net, float(scale)
        self.register_buffer("centre", torch.as_tensor(centre, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) * self.scale + self.centre


def fit_indirect(X: np.ndarray, target: np.ndarray, net: nn.Module, steps: int,
                 rows_per_step: int, seed: int) -> tuple[Regressor, tuple[float, float]]:
    """Regress ``target`` (n x 2) from ``X`` by MSE with Adam: the fitted map, and the
    (standardised) MSE on all rows half-way and at the end (has it converged?).

    Targets are centred and divided by one overall scale (aspect kept), so the
    learning rate means what it means in the direct fit.
    """
    centre, scale = target.mean(0), target.std()
    x = torch.from_numpy(X)
    y = torch.from_numpy(((target - centre) / scale).astype(np.float32))
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(seed)
    mse_half = np.nan
    for step in range(steps):
        if step == steps // 2:
            mse_half = _mse(net, x, y)
        rows = torch.randint(len(x), (min(rows_per_step, len(x)),), generator=generator)
        loss = nn.functional.mse_loss(net(x[rows]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return Regressor(net, centre, scale), (mse_half, _mse(net, x, y))


def _mse(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(nn.functional.mse_loss(net(x), y))


def _embed(net: nn.Module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(X)).double().numpy()


def score(shared: Shared, Z: np.ndarray) -> dict[str, float]:
    """UMAP's objectives on the shared graph and trustworthiness, all on the training rows."""
    from pumap_core.eval.metrics import trustworthiness
    from pumap_core.eval.objective import sampled_objective, umap_cross_entropy

    ce = umap_cross_entropy(Z, shared.graph.edges, MIN_DIST, seed=shared.seed)
    return {"objective": ce.total, "attraction": ce.attraction, "repulsion": ce.repulsion,
            "objective_exact": ce.exact,
            "sampled_loss": sampled_objective(Z, shared.graph.edges, MIN_DIST).total,
            "trustworthiness": trustworthiness(shared.split.X_train, Z, k=5)}


def run_width(shared: Shared, width: int, epochs: int | None) -> tuple[list[dict], dict]:
    """Direct and indirect fits of one width; their rows and training-row embeddings.

    ``train_loss_*``: the direct fit's UMAP loss (per-epoch mean) and the indirect
    fit's MSE, half-way and at the end; ``test_trustworthiness``: held-out rows.
    """
    from pumap_core.eval.metrics import trustworthiness

    split = shared.split
    net = one_hidden_layer(split.X_train.shape[1], width, shared.seed * 1000 + width)
    t: dict[str, float] = {}
    model, t["direct"] = timed(lambda: fit_direct(shared, copy.deepcopy(net), epochs))
    direct, steps = model.encoder_, direct_steps(model)
    (indirect, mse), t["indirect"] = timed(lambda: fit_indirect(
        split.X_train, shared.umap_embedding, copy.deepcopy(net), steps, 2 * BATCH_SIZE,
        shared.seed))
    history = [epoch["umap"] for epoch in model.loss_history_]
    losses = {"direct": (history[len(history) // 2], history[-1]), "indirect": mse}
    rows, embeddings = [], {}
    for method, fitted in (("direct", direct), ("indirect", indirect)):
        Z = _embed(fitted, split.X_train)
        rows.append({"seed": shared.seed, "width": width, "method": method, **score(shared, Z),
                     "test_trustworthiness": trustworthiness(
                         split.X_test, _embed(fitted, split.X_test), k=5),
                     "adam_steps": steps, "fit_s": t[method],
                     "train_loss_half": losses[method][0], "train_loss_end": losses[method][1]})
        embeddings[(method, width)] = Z
    return rows, embeddings


def run_seed(split: Split, widths: list[int], epochs: int | None,
             seed: int) -> tuple[pd.DataFrame, dict, float]:
    """Every width at one seed, plus the non-parametric reference row (width NaN)."""
    (shared, graph_diff), umap_s = timed(lambda: prepare(split, seed))
    rows = [{"seed": seed, "width": np.nan, "method": "umap-learn (non-parametric)",
             **score(shared, shared.umap_embedding), "fit_s": umap_s}]
    embeddings = {("umap-learn", 0): shared.umap_embedding}
    for w in widths:
        more_rows, more = run_width(shared, w, epochs)
        rows += more_rows
        embeddings.update(more)
        print(f"  seed {seed} width {w:>4}: " + "; ".join(
            f"{c} direct {more_rows[0][c]:.3g}, indirect {more_rows[1][c]:.3g} "
            f"(umap-learn {rows[0][c]:.3g})" for c in OBJECTIVES), flush=True)
    return pd.DataFrame(rows), embeddings, graph_diff


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds of both objectives and trustworthiness per width and method
    (held-out trustworthiness: mean only, parametric fits only)."""
    runs = runs.assign(width=runs["width"].fillna(0).astype(int))
    table = runs.groupby(["width", "method"], sort=True).agg(
        objective=("objective", "mean"), objective_sd=("objective", "std"),
        sampled_loss=("sampled_loss", "mean"), sampled_loss_sd=("sampled_loss", "std"),
        trustworthiness=("trustworthiness", "mean"),
        trustworthiness_sd=("trustworthiness", "std"),
        test_trustworthiness=("test_trustworthiness", "mean"),
        n_seeds=("seed", "count")).reset_index()
    table["width"] = table["width"].map(lambda w: "-" if w == 0 else str(w))
    return table.set_index("width")


#: The two objectives plotted, with their axis labels.
OBJECTIVES = {"objective": "UMAP cross-entropy (eq. 2.8) per point",
              "sampled_loss": "negative-sampling loss per point"}


def plot_objective(runs: pd.DataFrame, path: Path) -> Path:
    """Each objective vs width for both trainings (mean, bars from the lowest to the
    highest seed; log axes: one collapsed fit can be 10x worse); umap-learn as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(OBJECTIVES), figsize=(10, 4))
    for ax, (column, label) in zip(axes, OBJECTIVES.items(), strict=True):
        for method, colour in (("direct", "C0"), ("indirect", "C1")):
            g = runs[runs["method"] == method].groupby("width")[column]
            mean = g.mean()
            ax.errorbar(mean.index, mean, yerr=[mean - g.min(), g.max() - mean], fmt="o-",
                        color=colour, capsize=3,
                        label=f"{method} ({'UMAP loss' if method == 'direct' else 'MSE to UMAP'})")
        ref = runs.loc[runs["width"].isna(), column]
        ax.axhline(ref.mean(), color="k", ls="--", lw=1, label="non-parametric UMAP (umap-learn)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("hidden layer width")
        ax.set_ylabel(label, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("MNIST, one hidden layer: direct vs indirect training, scored on one graph "
                 "(lower is better)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def embedding_panels(embeddings: dict, y: np.ndarray, widths: list[int]) -> list[tuple]:
    """umap-learn, then direct/indirect at the smallest and largest width."""
    panels = [("umap-learn (target)", embeddings[("umap-learn", 0)], y)]
    for w in sorted({min(widths), max(widths)}):
        panels += [(f"{m}, width {w}", embeddings[(m, w)], y) for m in ("direct", "indirect")]
    return panels


def notes(split: Split, epochs: int | None, runs: pd.DataFrame, graph_diff: float) -> str:
    """What was run, how fairly, and the comparison the paper makes."""
    ep = "auto (~6M edge samples)" if epochs is None else f"{epochs} epochs"
    steps = int(runs["adam_steps"].dropna().iloc[0])
    def gaps(column: str) -> str:
        wide = runs.pivot_table(index=["seed", "width"], columns="method", values=column)
        gap = (wide["indirect"] - wide["direct"]).groupby("width").mean()
        return ", ".join(f"{int(w)}: {g:+.3g}" for w, g in gap.items())

    lines = [
        f"Data: {size_note(split)}; the training rows are embedded and scored. Direct: "
        f"ParametricUMAP(encoder=net), {ep} ({steps:,} Adam steps of {BATCH_SIZE} edges). "
        f"Indirect: the same initial net, {steps:,} Adam steps of MSE on {2 * BATCH_SIZE} "
        f"random rows each, lr {LEARNING_RATE:g} for both. Reference: umap-learn UMAP(n_neighbors="
        f"{N_NEIGHBORS}, min_dist={MIN_DIST}) on the same kNN; its own graph differs from ours "
        f"by {graph_diff:.2%} of the edge mass (pruning), and all embeddings are scored on ours.",
        "objective: UMAP's cross-entropy (eq. 2.8) per point on the shared graph, exact over "
        "all pairs. sampled_loss: the loss negative sampling minimises in expectation (pair "
        "(i, k) repelled with weight m d_i / n instead of 1 - p_ik), also exact; this is what "
        "the direct fit and umap-learn's SGD optimise. Lower is better for both; mean and sd "
        "over seeds (the same data rows, different initial weights and UMAP seeds).",
        f"Indirect minus direct, by width: objective {gaps('objective')}; sampled_loss "
        f"{gaps('sampled_loss')}.",
    ]
    return "\n\n".join(lines)


@dataclass
class Result:
    """What ``main`` produced: every run, the summary, and the first seed's embeddings."""

    split: Split
    runs: pd.DataFrame
    table: pd.DataFrame
    embeddings: dict
    graph_difference: float


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.split("\n\n")[0], EXPERIMENT_RESULTS)
    add_size_args(p, n_train=2_000, n_test=500)
    p.add_argument("--widths", type=int, nargs="+", default=list(DEFAULT_WIDTHS))
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="seeds to repeat over (default: --seed and --seed + 1); the data "
                        "subsample stays the one --seed draws")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"direct-fit epochs (default {DEFAULT_EPOCHS}; --full: the library's auto)")
    args = p.parse_args(argv)
    set_threads(args.threads)
    epochs = args.epochs if args.epochs is not None else (None if args.full else DEFAULT_EPOCHS)
    seeds = args.seeds if args.seeds is not None else [args.seed, args.seed + 1]
    split = load_mnist(args)
    print(size_note(split), flush=True)
    parts, diffs, first = [], [], None
    for seed in seeds:
        runs, embeddings, diff = run_seed(split, args.widths, epochs, seed)
        parts.append(runs)
        diffs.append(diff)
        first = first or embeddings
    runs = pd.concat(parts, ignore_index=True)
    args.out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(args.out / "direct_vs_indirect_runs.csv", index=False)
    plot_objective(runs, args.out / "direct_vs_indirect.png")
    scatter_row(embedding_panels(first, split.y_train, args.widths),
                args.out / "direct_vs_indirect_embeddings.png",
                f"training digits, seed {seeds[0]}, coloured by label")
    table = summarise(runs)
    write_table(table, args.out, "direct_vs_indirect_metrics",
                "Direct vs indirect training (paper section 5.6, Fig. 15)",
                notes(split, epochs, runs, max(diffs)))
    return Result(split, runs, table, first, max(diffs))


if __name__ == "__main__":
    main()
