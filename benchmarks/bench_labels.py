"""Labelling as you explore, simulated: a person boxes dense regions of the map, names
them, then labels points from the "label next" list, up to 40 labels; the classifier
head learns beside UMAP's loss all along.

    python -m benchmarks.bench_labels                  # MNIST, 70,000 rows: ~40 min, 1 thread
    python -m benchmarks.bench_labels --data digits    # scikit-learn's digits: ~1 min

The map: ``ParametricUMAP(random_state=seed).fit(X)`` on all rows, no labels (the
head will read the encoder's last hidden layer; ``--classifier-input latent``: the map's
codes). The simulated person then
1. boxes the ``--boxes`` densest regions of that map (peaks of a smoothed 2-D
   histogram, at least a tenth of the map's extent apart), each box the square
   around its peak that holds ``--box-rows`` rows, and types the majority true
   label of the box's rows as its name: every row in the box gets that label;
2. trains on (``partial_fit(X, y)`` for ``--epochs`` epochs: the head learns,
   the landmark term holds the map), then ``--rounds`` times takes the top of
   the "label next" list (:func:`pumap_core.labelling.label_next` on the current
   map and the head's probabilities), labels those rows with their true labels
   and trains on; 40 labelled rows in all.
The accuracy of ``predict`` on all rows is compared with
- the same protocol, "label next" by the margin alone;
- 40 random labels, trained as long (``partial_fit`` from the same map);
- the classifier alone on the same 40 labels (``umap_weight=0``, a fresh network
  reading its hidden layer, the paper's baseline);
- scikit-learn's ``LabelSpreading`` (15-NN kernel) on our map with the same 40
  labels: the map they were chosen on, and the final map.
Round 1 also measures what the app's "labels to colours" path costs the library:
seconds from the ``partial_fit`` call to its first snapshot, to the first snapshot
whose :meth:`~pumap_core.ParametricUMAP.frozen_copy` predicts the labelled rows as
labelled, and of ``predict_proba`` of every row on such a copy.
Writes ``labels.md`` and ``labels.csv`` under ``--out`` (benchmarks/results/).
"""

from __future__ import annotations

import copy
import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter
from scipy.spatial import cKDTree

from harness.cli import mnist_or_digits
from harness.data import load_split
from harness.machine import code_version
from harness.paths import BENCHMARK_RESULTS
from harness.report import TIMING_NOTE, markdown_table, write_report
from harness.threads import set_threads

#: labelled rows in all, and how they are spent by default
TOTAL_LABELS = 40
BOXES, BOX_ROWS, ROUNDS, EPOCHS = 8, 3, 4, 2
#: peaks of the density are at least this share of the map's extent apart
PEAK_SEPARATION = 0.1
#: what the classifier head reads: the encoder's last hidden layer, or the map's codes
CLASSIFIER_INPUT = "hidden"
#: labelled rows predicted as labelled before a snapshot counts as "updated"
UPDATED = 0.9


def dense_boxes(Z: np.ndarray, k: int, rows_per_box: int, bins: int = 128) -> list[np.ndarray]:
    """Rows inside ``k`` boxes around the densest places of the map ``Z``: the peaks of a
    smoothed 2-D histogram, densest first, each :data:`PEAK_SEPARATION` of the map's extent
    from the others; a box is the square around its peak holding ``rows_per_box`` rows."""
    density, xs, ys = np.histogram2d(Z[:, 0], Z[:, 1], bins=bins)
    density = gaussian_filter(density, 1.5)
    extent = float(np.ptp(Z[:, :2], axis=0).max())
    peaks: list[np.ndarray] = []
    for flat in np.argsort(density.ravel())[::-1]:
        i, j = divmod(int(flat), bins)
        centre = np.array([(xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2])
        if all(np.linalg.norm(centre - p) >= PEAK_SEPARATION * extent for p in peaks):
            peaks.append(centre)
        if len(peaks) == k:
            break
    tree = cKDTree(Z[:, :2])
    return [np.atleast_1d(tree.query(p, rows_per_box, p=np.inf)[1]) for p in peaks]


@dataclass
class Labelling:
    """One simulated person's labels and what they led to."""

    labels: np.ndarray
    rounds: list[dict] = field(default_factory=list)
    timing: dict = field(default_factory=dict)


def label_boxes(truth: np.ndarray, boxes: list[np.ndarray]) -> np.ndarray:
    """Every row of each box labelled with the box's majority true label (-1 elsewhere)."""
    labels = np.full(len(truth), -1)
    for rows in boxes:
        labels[rows] = np.bincount(truth[rows]).argmax()
    return labels


def timed_round(model, X: np.ndarray, labels: np.ndarray) -> dict:
    """``partial_fit`` with snapshots; when the labels reached the head's predictions."""
    t0 = time.perf_counter()
    labelled = np.flatnonzero(labels >= 0)
    seen: dict = {}

    def callback(snap) -> None:
        now = time.perf_counter() - t0
        seen.setdefault("first_snapshot_s", now)
        if "updated_s" not in seen and snap.step > 0:
            frozen = model.frozen_copy()
            if np.mean(frozen.predict(X[labelled]) == labels[labelled]) >= UPDATED:
                seen["updated_s"], seen["copy"] = now, frozen

    model.partial_fit(X, labels, callback=callback, snapshot_embedding="all",
                      snapshot_interval=0.25)
    if "copy" in seen:
        t1 = time.perf_counter()
        seen["copy"].predict_proba(X)
        seen["predict_all_s"] = time.perf_counter() - t1
        del seen["copy"]
    return seen


def simulate(base, X: np.ndarray, truth: np.ndarray, strategy: str, boxes: int, box_rows: int,
             rounds: int, epochs: int, total: int = TOTAL_LABELS, log=print) -> tuple:
    """Boxes, then ``rounds`` of "label next" by ``strategy``; returns (model, Labelling)."""
    from pumap_core.labelling import label_next

    model = copy.deepcopy(base).set_params(n_epochs=epochs)
    run = Labelling(label_boxes(truth, dense_boxes(base.embedding_, boxes, box_rows)))
    run.timing = timed_round(model, X, run.labels)
    per_round = -(-(total - int((run.labels >= 0).sum())) // max(rounds, 1))
    for r in range(rounds + 1):
        predicted = model.predict(X)
        run.rounds.append({"round": r, "labels": int((run.labels >= 0).sum()),
                           "classes labelled": len(np.unique(run.labels[run.labels >= 0])),
                           "accuracy": float(np.mean(predicted == truth))})
        log(strategy, run.rounds[-1])
        n = min(per_round, total - run.rounds[-1]["labels"])
        if r == rounds or n <= 0:
            break
        picks = label_next(model.embedding_, run.labels, model.predict_proba(X), n,
                           strategy=strategy)
        run.labels[picks] = truth[picks]
        model.partial_fit(X, run.labels)
    return model, run


def random_labels(base, X: np.ndarray, truth: np.ndarray, epochs: int, seed: int,
                  total: int = TOTAL_LABELS):
    """``total`` random rows labelled at once, trained as long as the simulated person's."""
    labels = np.full(len(truth), -1)
    rows = np.random.default_rng(seed).choice(len(truth), total, replace=False)
    labels[rows] = truth[rows]
    return copy.deepcopy(base).set_params(n_epochs=epochs).partial_fit(X, labels), labels


#: LabelSpreading's clamping: scikit-learn's default 0.2 keeps most of 70,000 rows out of
#: reach of 40 labels (.26 with 4 random labels a class on an MNIST map); 0.9 spreads
#: them (.90), and 0.99 does no better
SPREAD_ALPHAS = (0.2, 0.9)


def label_spreading(Z: np.ndarray, labels: np.ndarray, alpha: float) -> np.ndarray:
    """scikit-learn's LabelSpreading on a map: each row's label."""
    from sklearn.semi_supervised import LabelSpreading

    spread = LabelSpreading(kernel="knn", n_neighbors=15, alpha=alpha, max_iter=1000)
    return spread.fit(Z, labels).transduction_


def classifier_alone(X: np.ndarray, labels: np.ndarray, epochs: int, seed: int):
    """The paper's baseline: the same kind of network, the classifier's loss only."""
    from pumap_core import ParametricUMAP

    return ParametricUMAP(umap_weight=0.0, init=None, n_epochs=epochs,
                          random_state=seed).fit(X, labels)


def run(X: np.ndarray, truth: np.ndarray, seed: int = 0, boxes: int = BOXES,
        box_rows: int = BOX_ROWS, rounds: int = ROUNDS, epochs: int = EPOCHS,
        map_epochs: int | None = None, classifier_input: str = CLASSIFIER_INPUT,
        log=print) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Every arm; returns the accuracy table, ours' rounds and the facts for the notes."""
    from pumap_core import ParametricUMAP

    t0 = time.perf_counter()
    base = ParametricUMAP(random_state=seed, classifier_input=classifier_input,
                          n_epochs=map_epochs).fit(X)
    facts = {"map_s": time.perf_counter() - t0, "map_epochs": base.loss_history_[-1]["epoch"],
             "n": len(X), "epochs": epochs, "boxes": boxes, "box_rows": box_rows,
             "rounds": rounds, "classifier_input": classifier_input}
    log(f"map: {facts['map_s']:.0f} s")
    rows, runs = [], {}
    for strategy in ("coverage", "margin"):
        t0 = time.perf_counter()
        model, person = simulate(base, X, truth, strategy, boxes, box_rows, rounds, epochs,
                                 log=log)
        runs[strategy] = (model, person)
        rows.append({"method": f"boxes + label next ({strategy})",
                     "labels": int((person.labels >= 0).sum()),
                     "accuracy": person.rounds[-1]["accuracy"],
                     "seconds": time.perf_counter() - t0})
    ours, person = runs["coverage"]
    trained = (rounds + 1) * epochs
    t0 = time.perf_counter()
    model, labels = random_labels(base, X, truth, trained, seed)
    rows.append({"method": "40 random labels (same training)", "labels": int((labels >= 0).sum()),
                 "accuracy": float(np.mean(model.predict(X) == truth)),
                 "seconds": time.perf_counter() - t0})
    t0 = time.perf_counter()
    alone = classifier_alone(X, person.labels, epochs, seed)
    rows.append({"method": "classifier alone, same labels", "labels": int((person.labels >= 0).sum()),
                 "accuracy": float(np.mean(alone.predict(X) == truth)),
                 "seconds": time.perf_counter() - t0})
    for alpha, (where, Z) in itertools.product(SPREAD_ALPHAS, (
            ("the map labelled on", base.embedding_), ("our final map", ours.embedding_))):
        t0 = time.perf_counter()
        spread = label_spreading(Z, person.labels, alpha)
        rows.append({"method": f"LabelSpreading (alpha {alpha}) on {where}, same labels",
                     "labels": int((person.labels >= 0).sum()),
                     "accuracy": float(np.mean(spread == truth)),
                     "seconds": time.perf_counter() - t0})
    for r in rows:
        log(r)
    facts.update(person.timing)
    facts["box_purity"] = float(np.mean(person.labels[person.labels >= 0]
                                        == truth[person.labels >= 0]))
    return (pd.DataFrame(rows).set_index("method"), pd.DataFrame(person.rounds).set_index("round"),
            facts)


def targets(frame: pd.DataFrame) -> pd.DataFrame:
    ours = frame.loc["boxes + label next (coverage)", "accuracy"]
    spreading = frame[frame.index.str.startswith("LabelSpreading")]["accuracy"]
    others = {"classifier alone, same labels": frame.loc["classifier alone, same labels",
                                                         "accuracy"],
              f"the best LabelSpreading ({spreading.idxmax()})": spreading.max()}
    return pd.DataFrame([
        {"measure": "40 labels by brushing + label next, accuracy on all rows", "target": "≥ .93",
         "measured": f"{ours:.4f}", "met": ours >= 0.93},
        *({"measure": f"above {name}", "target": f"> {value:.4f}", "measured": f"{ours:.4f}",
           "met": ours > value} for name, value in others.items()),
        {"measure": "40 random labels (reported beside it)", "target": "—",
         "measured": f"{frame.loc['40 random labels (same training)', 'accuracy']:.4f}",
         "met": "—"},
    ]).set_index("measure")


def report(frame: pd.DataFrame, rounds: pd.DataFrame, facts: dict, data: str,
           command: str) -> str:
    timing = (f"Labels to updated predictions (round 1, {facts['boxes'] * facts['box_rows']} "
              f"labelled rows; the library's part of the app's path): first snapshot "
              f"{facts.get('first_snapshot_s', float('nan')):.2f} s after the `partial_fit` call; "
              f"the first snapshot whose frozen copy predicts ≥ {UPDATED:.0%} of the labelled "
              f"rows as labelled {facts.get('updated_s', float('nan')):.2f} s after it; "
              f"`predict_proba` of all {facts['n']:,} rows on that copy "
              f"{facts.get('predict_all_s', float('nan')):.2f} s.")
    notes = [
        f"Data: {data}. The map: `ParametricUMAP(random_state=0, classifier_input="
        f"\"{facts['classifier_input']}\").fit(X)` without labels ({facts['map_s']:.0f} s, {facts['map_epochs']:.1f} epochs).",
        f"The person: {facts['boxes']} boxes of {facts['box_rows']} rows at the densest places "
        f"of that map, each named by its rows' majority label ({facts['box_purity']:.0%} of the "
        f"boxed rows got their true label), then {facts['rounds']} rounds of the top of the "
        f"\"label next\" list; `partial_fit(X, y)` for {facts['epochs']} epochs after each "
        "step (the head learns, the landmark term holds the map at its default weight).",
        "Accuracy: `predict(X)` against the true labels of all rows (the 40 labelled ones "
        "included). LabelSpreading: `sklearn.semi_supervised.LabelSpreading(kernel='knn', "
        "n_neighbors=15, max_iter=1000)` at alpha " + " and ".join(map(str, SPREAD_ALPHAS)) +
        " on the 2-D map, its `transduction_`.",
        timing, TIMING_NOTE, f"Code: commit {code_version()}.",
    ]
    return "\n\n".join([
        "# Labelling as you explore: 40 labels", f"`{command}`", markdown_table(frame, digits=4),
        "## Ours, round by round", markdown_table(rounds, digits=4), "## Targets",
        markdown_table(targets(frame)), *notes]) + "\n"


def main(argv=None) -> int:
    p = mnist_or_digits(__doc__.split("\n\n")[0], BENCHMARK_RESULTS)
    p.add_argument("--boxes", type=int, default=BOXES)
    p.add_argument("--box-rows", type=int, default=BOX_ROWS)
    p.add_argument("--rounds", type=int, default=ROUNDS)
    p.add_argument("--epochs", type=int, default=EPOCHS, help="epochs after each labelling step")
    p.add_argument("--classifier-input", choices=("latent", "hidden"), default=CLASSIFIER_INPUT)
    a = p.parse_args(argv)
    set_threads(a.threads)
    split = load_split("mnist" if a.data == "mnist" else "digits", a.data_dir, seed=a.seed)
    X = split.X_train if split.same_rows else np.vstack([split.X_train, split.X_test])
    truth = split.y_train if split.same_rows else np.concatenate([split.y_train, split.y_test])
    frame, rounds, facts = run(X, truth, a.seed, a.boxes, a.box_rows, a.rounds, a.epochs,
                               classifier_input=a.classifier_input)
    data = (f"MNIST, all {len(X):,} rows (training and test files)" if a.data == "mnist"
            else f"scikit-learn's digits, {len(X):,} rows")
    stem = "labels" if a.data == "mnist" else f"labels_{a.data}"
    command = "python -m benchmarks.bench_labels" + (f" --data {a.data}" if a.data != "mnist"
                                                     else "")
    if a.classifier_input != CLASSIFIER_INPUT:
        stem += f"_{a.classifier_input}"
        command += f" --classifier-input {a.classifier_input}"
    changed = {"seed": 0, "boxes": BOXES, "box_rows": BOX_ROWS, "rounds": ROUNDS, "epochs": EPOCHS}
    for name, default in changed.items():
        if getattr(a, name) != default:  # the file names the run that made it
            stem += f"_{name}{getattr(a, name)}"
            command += f" --{name.replace('_', '-')} {getattr(a, name)}"
    text = report(frame, rounds, facts, data, command)
    write_report(a.out, stem, frame, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
