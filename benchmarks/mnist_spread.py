"""Why two ways of running MNIST's defaults score differently: data, graph or random stream.

    python -m benchmarks.mnist_spread          # about 6 MNIST fits on the CPU

``ParametricUMAP(random_state=0).fit(X)`` on the IDX pixels divided by 255 and
``benchmarks.bench_engine`` (which fits ``pumap_core.data.load("mnist").X``, the
pixels *multiplied* by float32(1/255)) report different maps for the same seed.
This fits the defaults on both preparations, and on the loader's rows with three
seeds and with two thread counts, and reports for each: how many entries of the
data and of the kNN graph differ from the loader's seed-0 run, and the scores
(``benchmarks.bench_engine``'s). Writes ``benchmarks/results/mnist_spread.md``.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import numpy as np

from harness.data import load_split
from harness.paths import BENCHMARK_RESULTS, data_dir
from harness.threads import set_threads

#: (name, data preparation, seed, torch threads)
RUNS = (("loader, seed 0", "loader", 0, 1), ("pixels / 255, seed 0", "divided", 0, 1),
        ("loader, seed 1", "loader", 1, 1), ("loader, seed 2", "loader", 2, 1),
        ("loader, seed 0, 2 threads", "loader", 0, 2))


def divided_pixels(folder: Path) -> np.ndarray:
    """The training images as a user prepares them: IDX bytes / 255."""
    with gzip.open(folder / "mnist" / "train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    return (raw / 255).astype(np.float32)


def main(argv=None) -> int:
    from benchmarks.bench_engine import scores
    from pumap_core import ParametricUMAP
    from pumap_core.graph import build_graph

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=BENCHMARK_RESULTS)
    a = p.parse_args(argv)
    folder = data_dir(a.data_dir)
    split = load_split("mnist", folder)
    data = {"loader": split.X_train, "divided": divided_pixels(folder)}
    set_threads(1)
    graphs = {name: build_graph(X, 15, random_state=0) for name, X in data.items()}
    ref_knn = graphs["loader"].knn_indices
    lines = ["# Two ways of running MNIST's defaults", "",
             "`python -m benchmarks.mnist_spread`: `ParametricUMAP(random_state=seed).fit(X)` "
             "on MNIST's 60,000 training rows, scored as `benchmarks.bench_engine` scores "
             "(trustworthiness of the first 10,000 training rows; held-out trustworthiness, "
             "1-NN and 5-NN on the 10,000 test rows).", "",
             "| run | data entries ≠ loader's | kNN entries ≠ loader's | epochs | fit_s | "
             "trust_train | trust_test | knn1 | knn5 |", "|---|---|---|---|---|---|---|---|---|"]
    rows = []
    for name, prep, seed, threads in RUNS:
        set_threads(threads)
        X, graph = data[prep], graphs[prep]
        model = ParametricUMAP(random_state=seed)
        t0 = time.perf_counter()
        model.fit(X, graph=graph)
        fit_s = time.perf_counter() - t0
        s = scores(split, model.embedding_, model.transform(split.X_test))
        rows.append(s)
        lines.append(f"| {name} | {int((X != split.X_train).sum()):,} | "
                     f"{int((graph.knn_indices != ref_knn).sum()):,} | "
                     f"{model.loss_history_[-1]['epoch']:.1f} | {fit_s:.0f} | "
                     + " | ".join(f"{s[k]:.4f}" for k in ("trust_train", "trust_test", "knn1",
                                                          "knn5")) + " |")
        print(lines[-1], flush=True)
    seeds = [r for (name, *_), r in zip(RUNS, rows, strict=True) if name.startswith("loader, seed")]
    spread = {k: (np.mean([r[k] for r in seeds]), np.ptp([r[k] for r in seeds]))
              for k in ("trust_train", "trust_test", "knn1", "knn5")}
    lines += ["", "Loader's rows, seeds 0–2: " + "; ".join(
        f"{k} {m:.4f} (spread {s:.4f})" for k, (m, s) in spread.items()) + "."]
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "mnist_spread.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-2:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
