"""The engine's targets: held-out quality and fit time, ours vs umap-learn, in one run.

    python -m benchmarks.bench_engine                         # digits split, MNIST, Fashion-MNIST
    python -m benchmarks.bench_engine --datasets digits-split  # about a minute

Per data set, for ours and umap-learn's UMAP (PCA for reference):
- fit time in a fresh interpreter (a subprocess that imports, loads the data,
  then times ``fit``: numba's compilation included, as a user meets it);
- fit time of a second fit in this process (everything compiled: "warm");
- on that second fit: trustworthiness (k=5) of the first 10,000 training
  rows (how the paper scores its maps), and on the held-out rows
  trustworthiness, 1-NN and 5-NN accuracy (classifier fitted on the training
  embedding, scored on the test embedding).
Then the targets with their ratios. ``digits-split`` is scikit-learn's digits
(X/16) split by ``numpy.random.default_rng(0).permutation``: 1,500 rows to
fit, 297 held out. Writes ``engine_<date>.md`` and ``engine_latest.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from harness.data import Split, load_split
from harness.machine import machine_info
from harness.paper import PAPER_MNIST_2D
from harness.paths import BENCHMARK_RESULTS, REPO, data_dir
from harness.runners import Ours, PCARunner, UMAPLearn
from harness.threads import set_threads

DATASETS = ("digits-split", "mnist", "fashion-mnist")
TRAIN_ROWS_SCORED = 10_000
#: the paper's Parametric UMAP row for MNIST, in this benchmark's column names
PAPER_MNIST = {"trust_train": PAPER_MNIST_2D["parametric umap"]["trustworthiness"],
               "knn1": PAPER_MNIST_2D["parametric umap"]["knn_accuracy_1"],
               "knn5": PAPER_MNIST_2D["parametric umap"]["knn_accuracy_5"]}


#: warm fits scored per data set, their scores and times averaged: on 297 held-out digits
#: a row is .0034 of 1-NN accuracy, and one seed's map moves it by up to .02
#: (seeds 0/1/2: .9529/.9764/.9663, benchmarks/results/engine_choices.md)
SEEDS = {"digits-split": 3}


def runner(method: str, seed: int = 0):
    return {"ours": lambda: Ours(snapshot_interval=1e9, random_state=seed), "umap": UMAPLearn,
            "pca": PCARunner}[method]()


def scores(split: Split, Z_train: np.ndarray, Z_test: np.ndarray) -> dict[str, float]:
    from pumap_core.eval.metrics import knn_accuracy, trustworthiness

    m = min(TRAIN_ROWS_SCORED, len(split.X_train))
    return {"trust_train": trustworthiness(split.X_train[:m], Z_train[:m]),
            "trust_test": trustworthiness(split.X_test, Z_test),
            "knn1": knn_accuracy(Z_train, split.y_train, Z_test, split.y_test, k=1),
            "knn5": knn_accuracy(Z_train, split.y_train, Z_test, split.y_test, k=5)}


def fit_once(method: str, dataset: str, folder: Path) -> float:
    """Seconds of one ``fit`` (graph included) in this process."""
    split = load_split(dataset, folder)
    r = runner(method)
    r.prepare()
    t0 = time.perf_counter()
    r.fit(split.X_train)
    return time.perf_counter() - t0


def fresh_fit(method: str, dataset: str, folder: Path, threads: int) -> float:
    """``fit_once`` in a new interpreter: what a user's first fit costs."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_engine", "--fit-once", method, "--datasets", dataset,
         "--threads", str(threads), "--data-dir", str(folder)],
        capture_output=True, text=True, check=True, cwd=REPO)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["fit_s"])


def measure(split: Split, method: str, folder: Path, threads: int) -> dict[str, float]:
    row = {"fresh_fit_s": fresh_fit(method, split.name, folder, threads) if method != "pca"
           else math.nan}
    fits = []
    for seed in range(SEEDS.get(split.name, 1) if method != "pca" else 1):
        r = runner(method, seed)
        r.prepare()
        if method != "pca" and seed == 0:
            r.fit(split.X_train)  # compiles numba here, so the next fits are warm
        fitted = r.fit(split.X_train)
        fits.append({"warm_fit_s": fitted.fit_s,
                     **scores(split, fitted.embedding, r.transform(split.X_test)),
                     **({"epochs": float(r.model.n_epochs_)} if method == "ours" else {})})
    row.update({k: float(np.mean([f[k] for f in fits])) for k in fits[0]})
    if len(fits) > 1:
        row["knn1_each"] = [f["knn1"] for f in fits]
    return row


def targets(name: str, rows: dict[str, dict[str, float]]) -> list[tuple[str, str, str, bool]]:
    ours, umap = rows["ours"], rows["umap"]
    out = []

    def add(what: str, value: float, text: str, goal: str, met: bool) -> None:
        out.append((what, text.format(value), goal, bool(met)))

    warm = ours["warm_fit_s"] / umap["warm_fit_s"]
    if name == "digits-split":
        add("held-out trustworthiness", ours["trust_test"], "{:.4f}", "≥ .97", ours["trust_test"] >= .97)
        add("held-out 1-NN", ours["knn1"], "{:.4f}", "≥ .96", ours["knn1"] >= .96)
        add("fit ÷ umap-learn warm fit", warm, "{:.2f}×", "≤ 2×", warm <= 2)
        return out
    fresh = ours["fresh_fit_s"] / umap["fresh_fit_s"]
    add("fit in a fresh process ÷ umap-learn's", fresh, "{:.2f}×", "≤ 1.0×", fresh <= 1.0)
    add("second fit ÷ umap-learn warm fit", warm, "{:.2f}×", "≤ 3×", warm <= 3)
    gap = ours["trust_train"] - umap["trust_train"]
    add("trustworthiness, first 10k training rows", ours["trust_train"],
        f"{{:.4f}} (umap-learn {umap['trust_train']:.4f}, {gap:+.4f})",
        "≥ umap −.005 and ≥ .9573", gap >= -0.005 and ours["trust_train"] >= PAPER_MNIST["trust_train"])
    add("held-out 1-NN", ours["knn1"], "{:.4f}", "≥ .9402", ours["knn1"] >= PAPER_MNIST["knn1"])
    add("held-out 5-NN", ours["knn5"], "{:.4f}", "≥ .9614", ours["knn5"] >= PAPER_MNIST["knn5"])
    add("held-out trustworthiness", ours["trust_test"], "{:.4f}", "≥ .95", ours["trust_test"] >= .95)
    return out


def markdown(name: str, split: Split, rows: dict[str, dict[str, float]]) -> str:
    cols = ["fresh_fit_s", "warm_fit_s", "trust_train", "trust_test", "knn1", "knn5", "epochs"]
    seeds = SEEDS.get(name, 1)
    each = "; ".join(f"{m} {' / '.join(f'{v:.4f}' for v in r['knn1_each'])}"
                     for m, r in rows.items() if "knn1_each" in r)
    note = (f"\n\nwarm fits, scores and epochs: the mean of {seeds} fits (ours: random_state "
            f"0–{seeds - 1}; umap-learn: unseeded). Held-out 1-NN of each: {each}"
            if seeds > 1 else "")
    lines = [f"## {name}", "", split.note + note, "",
             "| method | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for method, row in rows.items():
        cells = [("" if math.isnan(row.get(c, math.nan)) else
                  f"{row[c]:.1f}" if c.endswith("_s") or c == "epochs" else f"{row[c]:.4f}")
                 for c in cols]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", "| target | measured | goal | met |", "|---|---|---|---|"]
    lines += [f"| {what} | {text} | {goal} | {'yes' if met else '**no**'} |"
              for what, text, goal, met in targets(name, rows)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=BENCHMARK_RESULTS)
    p.add_argument("--fit-once", choices=("ours", "umap"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    set_threads(a.threads)
    folder = data_dir(a.data_dir)
    if a.fit_once:
        print(json.dumps({"fit_s": fit_once(a.fit_once, a.datasets[0], folder)}))
        return 0
    from pumap_core.data import DataError

    info = machine_info({"threads": str(a.threads),
                         "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(default)")})
    sections = []
    for name in a.datasets:
        try:
            split = load_split(name, folder)
        except DataError as exc:
            print(f"[{name}] skipped: {exc}")
            continue
        rows = {m: measure(split, m, folder, a.threads) for m in ("ours", "umap", "pca")}
        sections.append(markdown(name, split, rows))
        print(sections[-1], flush=True)
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    head = (f"# Engine benchmark ({stamp})\n\n`python -m benchmarks.bench_engine "
            f"{' '.join(argv if argv is not None else sys.argv[1:])}`\n\n"
            + "\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n")
    a.out.mkdir(parents=True, exist_ok=True)
    for path in (a.out / f"engine_{stamp}.md", a.out / "engine_latest.md"):
        path.write_text(head + "\n".join(sections))
    print(f"wrote {a.out / 'engine_latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
