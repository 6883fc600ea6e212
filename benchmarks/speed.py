"""Training and embedding speed against umap-learn and PCA (the paper's section 5.2,
Figs. 6 and 7).

    python -m benchmarks.speed --threads 1          # 10,000 MNIST rows: ~8 min
    python -m benchmarks.speed --threads 1 --full   # 60,000 rows, default epochs

(a) UMAP's objective over wall time (Fig. 6). Ours (``ParametricUMAP``) and
umap-learn's ``UMAP`` fit the same MNIST training rows, and both keep
intermediate embeddings of ALL rows: ours as snapshots every
``--snapshot-interval`` seconds (``snapshot_embedding="all"``), umap-learn
after a list of epochs (``UMAP(n_epochs=[...])`` keeps them in
``embedding_list_``). Each is scored with
``pumap_core.eval.objective.umap_cross_entropy`` on OUR graph (``model.graph_``;
umap-learn optimises its own, nearly identical graph from its own kNN);
the repulsion over all pairs is estimated from the same random pairs for
every embedding (``--objective-pairs``), and the last embeddings are also
scored exactly where n allows. Time axis: seconds since ``fit`` was called,
graph building included for both. Ours: wall time at each snapshot (its
``Snapshot.elapsed`` starts with training; the difference is the graph and
setup). umap-learn: :func:`harness.umap_clock.umap_learn_clock` times each
epoch's end and the end of the graph stage. A
warm-up fit on a few hundred rows first compiles numba and warms torch, so
compilation is not on the curves.

(b) Embedding held-out rows (Fig. 7): ``transform`` of ``--n-new`` MNIST
test rows by ours, PCA(2) and umap-learn, and decoding their codes with
``inverse_transform`` (ours: a model with a decoder, trained one epoch on the
same graph: the decoder's speed does not depend on its training; umap-learn:
only ``--umap-decodes`` codes, it optimises each point separately). Median of
``--repeats`` calls after a warm-up, in seconds per 1,000 rows, and as a
multiple of PCA's time.

Writes ``speed_curves.csv``, ``speed_objective.png``, ``speed_embed.csv`` and
``speed_tables.md`` under ``--out`` (default ``benchmarks/results/``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness import methods
from harness.cli import parser
from harness.data import load_split
from harness.paths import BENCHMARK_RESULTS
from harness.report import TIMING_NOTE, markdown_table, size_note, write_sections
from harness.threads import set_threads
from harness.timing import seconds_per_1000
from harness.umap_clock import umap_learn_clock
from pumap_core.eval.objective import sampled_objective, umap_cross_entropy
from pumap_core.graph import EdgeSet
from pumap_core.graph.edges import edges_from_graph

OURS, UMAP, PCA = "ours", "umap-learn UMAP", "PCA"
#: Default run: 10,000 rows; ours trains 30 epochs (its "auto" default would be ~90 here).
DEFAULT_TRAIN, DEFAULT_EPOCHS = 10_000, 30


@dataclass
class Curve:
    """Intermediate embeddings of one fit, ``seconds`` after fit was called."""

    method: str
    seconds: list[float] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)
    graph_s: float | None = None  # when the graph stage ended (ours: graph + setup)
    fit_s: float = 0.0


# ------------------------------------------------------------------ ours
def fit_ours_curve(X: np.ndarray, n_epochs: int | None, interval: float,
                   seed: int) -> tuple[Any, Curve]:
    """Fit ours from scratch (graph included) and keep every snapshot of all rows."""
    model = methods.ours(2, n_epochs=n_epochs, seed=seed)
    curve = Curve(OURS)

    def record(snap: Any) -> None:
        now = time.perf_counter() - start
        if curve.epochs and snap.epoch == curve.epochs[-1]:
            return  # the final snapshot repeats one taken at the last step
        if curve.graph_s is None:
            curve.graph_s = now - snap.elapsed
        curve.seconds.append(now)
        curve.epochs.append(snap.epoch)
        curve.embeddings.append(np.array(snap.embedding))

    start = time.perf_counter()
    model.fit(X, callback=record, snapshot_embedding="all", snapshot_interval=interval)
    curve.fit_s = time.perf_counter() - start
    return model, curve


# ------------------------------------------------------------ umap-learn
def snapshot_epochs(n_epochs: int, count: int) -> list[int]:
    """Epoch counts after which umap-learn keeps its embedding: 1 .. n_epochs."""
    inner = np.unique(np.linspace(1, n_epochs - 1, max(count - 1, 1)).round().astype(int))
    return [*inner.tolist(), n_epochs]


def umap_default_epochs(n: int) -> int:
    """umap-learn's own default for a graph of n vertices (500 up to 10,000, else 200)."""
    return 500 if n <= 10_000 else 200


def fit_umap_curve(X: np.ndarray, count: int) -> tuple[Any, Curve]:
    """Fit umap-learn with its default schedule, keeping ``count`` embeddings along it.

    ``n_epochs=[e0, e1, ..., E]`` keeps the embedding after each listed epoch
    (0-based ``n`` in the list: after epoch n + 1) and after the last; the
    schedule is that of ``n_epochs=E``. No seed: umap-learn's parallel SGD stays on.
    """
    total = umap_default_epochs(len(X))
    kept = snapshot_epochs(total, count)
    model = methods.umap_learn(2, n_epochs=[k - 1 for k in kept[:-1]] + [total], seed=None)
    with umap_learn_clock(model) as clock:
        model.fit(X)
    curve = Curve(UMAP, graph_s=clock.graph_done,
                  fit_s=clock.epoch_ends[-1] if clock.epoch_ends else 0.0)
    curve.seconds = [clock.epoch_ends[k - 1] for k in kept]
    curve.epochs = [float(k) for k in kept]
    curve.embeddings = [np.asarray(Z) for Z in model.embedding_list_]
    model.n_epochs = None  # transform() cannot read a list: back to umap-learn's default
    return model, curve


# -------------------------------------------------------------- objective
def objective_table(curves: list[Curve], edges: EdgeSet, min_dist: float, n_pairs: int,
                    seed: int) -> pd.DataFrame:
    """Per point, on one graph, for every intermediate embedding: UMAP's cross-entropy
    (eq. 2.8, ``objective``) and the loss negative sampling minimises
    (``sampled_loss``, :func:`pumap_core.eval.objective.sampled_objective`), which both
    optimisers actually descend."""
    rows = []
    for curve in curves:
        for s, epoch, Z in zip(curve.seconds, curve.epochs, curve.embeddings, strict=True):
            ce = umap_cross_entropy(Z, edges, min_dist, exact_limit=0, n_pairs=n_pairs,
                                    seed=seed)
            rows.append({"method": curve.method, "seconds": s, "epoch": epoch,
                         "objective": ce.total, "attraction": ce.attraction,
                         "repulsion": ce.repulsion,
                         "sampled_loss": sampled_objective(Z, edges, min_dist).total})
    return pd.DataFrame(rows)


def final_objectives(curves: list[Curve], graphs: dict[str, EdgeSet],
                     min_dist: float) -> pd.DataFrame:
    """The last embedding of each method on each graph, exactly (n <= 20,000) or sampled."""
    table = pd.DataFrame({f"objective on {g} graph": {
        c.method: umap_cross_entropy(c.embeddings[-1], edges, min_dist).total for c in curves}
        for g, edges in graphs.items()})
    table.index.name = "method"
    return table


def umap_graph_edges(model: Any) -> EdgeSet:
    """umap-learn's fuzzy graph as edges, weak edges pruned as ours are."""
    return edges_from_graph(model.graph_)


def plot_curves(table: pd.DataFrame, curves: list[Curve], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = {"objective": "UMAP cross-entropy, eq. 2.8, per point",
              "sampled_loss": "negative-sampling loss per point"}
    for ax, (column, label) in zip(axes, labels.items(), strict=True):
        for curve, colour in zip(curves, ("tab:blue", "tab:orange"), strict=False):
            part = table[table.method == curve.method]
            ax.plot(part.seconds, part[column], "o-", ms=3, color=colour, label=curve.method)
            if curve.graph_s is not None:
                ax.axvline(curve.graph_s, color=colour, ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("seconds since fit was called (dotted: graph built)")
        ax.set_ylabel(f"{label} (our graph)")
        ax.legend()
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


# ------------------------------------------------------------- embedding
def embed_timings(encoders: dict[str, Any], decoders: dict[str, Any], X_new: np.ndarray,
                  repeats: int, umap_decodes: int) -> pd.DataFrame:
    """Seconds per 1,000 rows: ``transform`` of X_new, ``inverse_transform`` of its codes.

    umap-learn is timed once (its calls take seconds to minutes) and decodes only
    ``umap_decodes`` codes; the others take the median of ``repeats`` calls.
    """
    rows = []
    for method, model in encoders.items():
        slow = method == UMAP
        seconds = seconds_per_1000(model.transform, X_new, 1 if slow else repeats)
        rows.append({"operation": "transform", "method": method, "rows": len(X_new),
                     "s_per_1000": seconds})
    for method, model in decoders.items():
        slow = method == UMAP
        Z = model.transform(X_new[:umap_decodes] if slow else X_new)
        seconds = seconds_per_1000(model.inverse_transform, Z, 1 if slow else repeats)
        rows.append({"operation": "inverse_transform", "method": method, "rows": len(Z),
                     "s_per_1000": seconds})
    table = pd.DataFrame(rows)
    pca_s = table[table.method == PCA].set_index("operation").s_per_1000
    table["x_pca"] = table.s_per_1000 / table.operation.map(pca_s)
    return table


def warm_up(X: np.ndarray, seed: int, umap: bool) -> None:
    """Compile numba (graph, umap-learn's SGD) and warm torch on a few hundred rows.

    umap-learn searches neighbours exactly below 4,096 rows, so NN-descent (which
    it uses above, as in the timed fit) is compiled here separately: in a first
    run that compilation alone took ~2 minutes of umap-learn's graph stage.
    """
    methods.ours(2, n_epochs=1, seed=seed).fit(X, callback=lambda s: None, snapshot_embedding="all")
    if umap:
        from pynndescent import NNDescent

        NNDescent(X, n_neighbors=methods.N_NEIGHBORS, random_state=seed).neighbor_graph  # noqa: B018
        fit_umap_curve(X, 3)


def run_curves(X: np.ndarray, a: Any, n_epochs: int | None
               ) -> tuple[dict[str, Any], list[Curve], pd.DataFrame, pd.DataFrame]:
    """(a): the fits with their intermediate embeddings, every embedding's objective
    on our graph, and the last ones' on both graphs. Returns the fitted models too."""
    models, curves = {}, []
    models[OURS], curve = fit_ours_curve(X, n_epochs, a.snapshot_interval, a.seed)
    curves.append(curve)
    print(f"  ours: {curve.fit_s:.0f} s, {len(curve.seconds)} snapshots", flush=True)
    if not a.no_umap:
        models[UMAP], curve = fit_umap_curve(X, a.umap_snapshots)
        curves.append(curve)
        print(f"  umap-learn: {curve.fit_s:.0f} s", flush=True)
    edges, min_dist = models[OURS].graph_.edges, models[OURS].min_dist
    table = objective_table(curves, edges, min_dist, a.objective_pairs, a.seed)
    graphs = {"our": edges}
    if UMAP in models:
        graphs["umap-learn's"] = umap_graph_edges(models[UMAP])
    return models, curves, table, final_objectives(curves, graphs, min_dist)


def run_embedding(models: dict[str, Any], split: Any, a: Any) -> pd.DataFrame:
    """(b): transform and inverse_transform timings of the held-out rows.

    Ours decodes with a second model that has a decoder, trained one epoch on the
    same kNN: a decoder's speed depends on its shape, not on its training.
    """
    graph = models[OURS].graph_
    decoder = methods.ours(2, reconstruction=True, n_epochs=1, seed=a.seed)
    decoder.fit(split.X_train, knn=(graph.knn_indices, graph.knn_dists))
    pca_model = methods.pca(2, a.seed).fit(split.X_train)
    encoders = {OURS: models[OURS], PCA: pca_model}
    decoders = {OURS: decoder, PCA: pca_model}
    if UMAP in models:
        encoders[UMAP] = decoders[UMAP] = models[UMAP]
    return embed_timings(encoders, decoders, split.X_test, a.repeats, a.umap_decodes)


def main(argv: list[str] | None = None) -> dict[str, pd.DataFrame]:
    p = parser(__doc__.split("\n\n")[0], BENCHMARK_RESULTS)
    p.add_argument("--n-train", type=int, help=f"training rows (default {DEFAULT_TRAIN:,}; "
                                               "--full: 60,000)")
    p.add_argument("--n-new", type=int, default=10_000, help="held-out rows embedded in (b)")
    p.add_argument("--epochs", type=int, help=f"epochs of ours (default {DEFAULT_EPOCHS}; "
                                              "--full: its default, 'auto')")
    p.add_argument("--snapshot-interval", type=float, default=3.0,
                   help="seconds between snapshots of ours")
    p.add_argument("--umap-snapshots", type=int, default=30,
                   help="intermediate embeddings kept from umap-learn")
    p.add_argument("--objective-pairs", type=int, default=2_000_000,
                   help="random pairs estimating the all-pairs repulsion")
    p.add_argument("--repeats", type=int, default=5, help="timed calls (median) in (b)")
    p.add_argument("--umap-decodes", type=int, default=100,
                   help="codes umap-learn's slow inverse_transform decodes in (b)")
    p.add_argument("--warm-up-rows", type=int, default=500)
    p.add_argument("--no-umap", action="store_true",
                   help="leave umap-learn out (ours and PCA only; it compiles ~30 s)")
    a = p.parse_args(argv)
    set_threads(a.threads)
    n_train = a.n_train or (None if a.full else DEFAULT_TRAIN)
    n_epochs = a.epochs or (None if a.full else DEFAULT_EPOCHS)
    split = load_split("mnist", a.data_dir, n_train=n_train, n_test=a.n_new, seed=a.seed)
    note = size_note(split)
    print(note, flush=True)
    warm_up(split.X_train[: a.warm_up_rows], a.seed, not a.no_umap)

    models, curves, table, finals = run_curves(split.X_train, a, n_epochs)
    a.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(a.out / "speed_curves.csv", index=False, float_format="%.6g")
    plot_curves(table, curves, a.out / "speed_objective.png",
                f"MNIST, {len(split.X_train):,} rows: objective over wall time")
    timings = run_embedding(models, split, a)
    timings.to_csv(a.out / "speed_embed.csv", index=False, float_format="%.6g")
    summary = fit_summary(curves, table, finals)
    schedule = "its default, 'auto'" if n_epochs is None else "fewer than its default, 'auto'"
    notes = [note, f"ours: {models[OURS].n_epochs_} epochs ({schedule}), snapshots every "
                   f"{a.snapshot_interval:g} s; umap-learn: its default schedule "
                   f"({umap_default_epochs(len(split.X_train))} epochs).",
             "sampled_loss: the loss negative sampling minimises (pair (i, k) repelled "
             "with weight m d_i / n), exact; objective_sampled: eq. 2.8 with the repulsion "
             "over all pairs estimated from "
             f"{a.objective_pairs:,} random pairs (the same for every embedding); the "
             "'objective on ... graph' columns: the last embedding, exactly where n <= 20,000.",
             f"(b): {len(split.X_test):,} held-out rows; umap-learn timed once, decoding "
             f"{a.umap_decodes} codes; the others: median of {a.repeats} calls.",
             TIMING_NOTE]
    write_tables(summary, timings, a.out, notes)
    return {"curves": table, "summary": summary, "timings": timings}


def fit_summary(curves: list[Curve], table: pd.DataFrame, finals: pd.DataFrame) -> pd.DataFrame:
    """Per method: graph and fit seconds, last objective on both graphs."""
    rows = {c.method: {"graph_s": c.graph_s, "fit_s": c.fit_s, "snapshots": len(c.seconds),
                       "objective_sampled": float(table[table.method == c.method]
                                                  .objective.iloc[-1]),
                       "sampled_loss": float(table[table.method == c.method]
                                             .sampled_loss.iloc[-1])} for c in curves}
    summary = pd.DataFrame.from_dict(rows, orient="index").join(finals)
    summary.index.name = "method"
    return summary


def write_tables(summary: pd.DataFrame, timings: pd.DataFrame, out: Path,
                 notes: list[str]) -> str:
    text = write_sections(out, "speed_tables", [
        "### (a) Fitting: graph, fit and the objective reached",
        markdown_table(summary),
        "### (b) Embedding and decoding held-out rows (seconds per 1,000 rows)",
        markdown_table(timings.set_index("operation"))], notes)
    print(text, flush=True)
    return text


if __name__ == "__main__":
    main()
