"""Continual learning: fit MNIST digits 0–4, then add 5–9 and train on, with and without
the landmark term, beside a fit from scratch on all rows.

    python -m benchmarks.bench_continual                 # MNIST, ~30 min on 1 thread
    python -m benchmarks.bench_continual --data digits   # scikit-learn's digits, ~1 min

The old model is ``ParametricUMAP(random_state=seed).fit(X_old)`` (the training rows
of digits 0–4). Each arm then starts from a copy of it and calls
``partial_fit(np.vstack([X_old, X_new]))`` (the new rows: the training rows of 5–9)
with ``landmark_weight`` set: the default and the others of ``--weights``, and 0 (no
landmark term). A fit from scratch on all rows is the reference. Every arm gets the
same neighbour graph of all rows (built once) and trains until its map has converged.

Reported per arm:
- the old rows' displacement: the median distance they moved from the old map,
  after Procrustes alignment (rotation, reflection, translation; no scaling), in
  units of the old map's neighbour distance (the median distance from a point to
  its 15 nearest others, :func:`pumap_core.eval.displacement.map_neighbour_distance`),
  and in units of its nearest-neighbour distance (k = 1) as well;
- held-out 1-NN accuracy on the test rows of the old classes and of the new
  classes (the test rows transformed; the neighbours: all training rows' map);
- epochs and seconds.
Writes ``continual.md`` and ``continual.csv`` under ``--out`` (benchmarks/results/).
"""

from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd

from harness.cli import mnist_or_digits
from harness.data import Split, load_split
from harness.machine import code_version
from harness.paths import BENCHMARK_RESULTS
from harness.report import TIMING_NOTE, markdown_table, write_report
from harness.threads import set_threads

#: classes fitted first; the others are added
OLD_CLASSES = 5
#: extra landmark weights tried beside the estimator's default
WEIGHTS = (1.0,)


def old_and_new(split: Split) -> dict[str, np.ndarray]:
    """The training rows of the old classes, then of the new ones, and their labels."""
    old = split.y_train < OLD_CLASSES
    return {"X_old": split.X_train[old], "X_new": split.X_train[~old],
            "y_all": np.concatenate([split.y_train[old], split.y_train[~old]])}


def arm_scores(name: str, weight: float | None, model, rows: dict, before: np.ndarray,
               split: Split, seconds: float) -> dict:
    """Displacement of the old rows and held-out 1-NN on old and new classes."""
    from pumap_core.eval.displacement import map_neighbour_distance, median_displacement
    from pumap_core.eval.metrics import knn_accuracy

    n_old = len(rows["X_old"])
    Z_test = model.transform(split.X_test)
    new = split.y_test >= OLD_CLASSES
    after = model.embedding_[:n_old]
    return {
        "arm": name,
        "landmark_weight": "—" if weight is None else f"{weight:g}",
        "moved (neighbour dist.)": median_displacement(before, after),
        "moved (1-NN dist.)": median_displacement(before, after,
                                                  map_neighbour_distance(before, k=1)),
        "1-NN old classes": knn_accuracy(model.embedding_, rows["y_all"], Z_test[~new],
                                         split.y_test[~new], k=1),
        "1-NN new classes": knn_accuracy(model.embedding_, rows["y_all"], Z_test[new],
                                         split.y_test[new], k=1),
        "epochs": float(model.loss_history_[-1]["epoch"]),
        "seconds": seconds,
    }


def run(split: Split, weights=WEIGHTS, seed: int = 0, n_epochs: int | None = None,
        log=print) -> tuple[pd.DataFrame, dict]:
    """Every arm on ``split``; returns the table and what the notes need."""
    from pumap_core import ParametricUMAP
    from pumap_core.eval.displacement import map_neighbour_distance
    from pumap_core.eval.metrics import knn_accuracy
    from pumap_core.graph import build_graph

    rows = old_and_new(split)
    X_all = np.vstack([rows["X_old"], rows["X_new"]])
    t0 = time.perf_counter()
    old = ParametricUMAP(random_state=seed, n_epochs=n_epochs).fit(rows["X_old"])
    old_s = time.perf_counter() - t0
    before = old.embedding_.copy()
    old_test = split.y_test < OLD_CLASSES
    facts = {"old_fit_s": old_s, "n_old": len(rows["X_old"]), "n_new": len(rows["X_new"]),
             "old_epochs": old.loss_history_[-1]["epoch"],
             "unit": map_neighbour_distance(before), "unit_1nn": map_neighbour_distance(before, k=1),
             "old_model_1nn_old": knn_accuracy(before, split.y_train[split.y_train < OLD_CLASSES],
                                               old.transform(split.X_test[old_test]),
                                               split.y_test[old_test], k=1),
             "default_weight": ParametricUMAP().landmark_weight}
    log(f"old fit: {len(before):,} rows, {old_s:.0f} s, unit {facts['unit']:.4f}")
    t0 = time.perf_counter()
    graph = build_graph(X_all, old.n_neighbors_, random_state=seed)
    facts["graph_s"] = time.perf_counter() - t0
    arms = [(f"landmarks (weight {w:g})", w) for w in (facts["default_weight"], *weights)]
    arms.append(("no landmark term", 0.0))
    results = []
    for name, weight in arms:
        model = copy.deepcopy(old).set_params(landmark_weight=weight)
        t0 = time.perf_counter()
        model.partial_fit(X_all, graph=graph)
        results.append(arm_scores(name, weight, model, rows, before, split,
                                  time.perf_counter() - t0))
        log(results[-1])
    scratch = ParametricUMAP(random_state=seed, n_epochs=n_epochs)
    t0 = time.perf_counter()
    scratch.fit(X_all, graph=graph)
    results.append(arm_scores("fit from scratch on all rows", None, scratch, rows, before,
                              split, time.perf_counter() - t0))
    log(results[-1])
    return pd.DataFrame(results).set_index("arm"), facts


def targets(frame: pd.DataFrame, default_weight: float) -> pd.DataFrame:
    """The issue's targets against this run."""
    held = frame.loc[f"landmarks (weight {default_weight:g})"]
    scratch = frame.loc["fit from scratch on all rows"]
    free = frame.loc["no landmark term"]
    need = scratch["1-NN new classes"] - 0.02
    return pd.DataFrame([
        {"measure": "old points' median displacement, landmarks (neighbour distances)",
         "target": "≤ 1", "measured": f"{held['moved (neighbour dist.)']:.2f}",
         "met": held["moved (neighbour dist.)"] <= 1.0},
        {"measure": "same, no landmark term (reported beside it)", "target": "—",
         "measured": f"{free['moved (neighbour dist.)']:.2f}", "met": "—"},
        {"measure": "held-out 1-NN on the new classes, landmarks",
         "target": f"≥ scratch − .02 = {need:.4f}", "measured": f"{held['1-NN new classes']:.4f}",
         "met": held["1-NN new classes"] >= need},
    ]).set_index("measure")


def report(frame: pd.DataFrame, facts: dict, split: Split, command: str) -> str:
    notes = [
        f"Old map: `ParametricUMAP(random_state=0).fit` on the {facts['n_old']:,} training rows "
        f"of digits 0–{OLD_CLASSES - 1} ({facts['old_fit_s']:.0f} s, "
        f"{facts['old_epochs']:.1f} epochs); its held-out 1-NN on the old classes: "
        f"{facts['old_model_1nn_old']:.4f}. Then {facts['n_new']:,} rows of digits "
        f"{OLD_CLASSES}–9 added: `partial_fit(np.vstack([X_old, X_new]), graph=G)`, one graph G "
        f"of all rows for every arm ({facts['graph_s']:.0f} s).",
        f"Units: the old map's neighbour distance (median distance to the 15 nearest other "
        f"points) is {facts['unit']:.4f}; its nearest-neighbour distance {facts['unit_1nn']:.4f}. "
        "Displacement is measured after Procrustes alignment (rotation, reflection, "
        "translation; no scaling) of each arm's old rows onto the old map.",
        "The scratch fit is another map altogether: its displacement says only that.",
        f"Data: {split.note}.", TIMING_NOTE, f"Code: commit {code_version()}.",
    ]
    return "\n\n".join([
        "# Continual learning: digits 0–4, then 5–9", f"`{command}`",
        markdown_table(frame, digits=4), "## Targets",
        markdown_table(targets(frame, facts["default_weight"])), *notes]) + "\n"


def main(argv=None) -> int:
    p = mnist_or_digits(__doc__.split("\n\n")[0], BENCHMARK_RESULTS)
    p.add_argument("--weights", type=float, nargs="*", default=list(WEIGHTS),
                   help="landmark weights tried beside the default")
    a = p.parse_args(argv)
    set_threads(a.threads)
    split = load_split("mnist" if a.data == "mnist" else "digits-split", a.data_dir,
                       seed=a.seed)
    frame, facts = run(split, a.weights, a.seed)
    stem = "continual" if a.data == "mnist" else f"continual_{a.data}"
    command = "python -m benchmarks.bench_continual" + (
        f" --data {a.data}" if a.data != "mnist" else "")
    text = report(frame, facts, split, command)
    write_report(a.out, stem, frame, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
