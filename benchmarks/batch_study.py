"""Large batches: what batch size, negatives, learning rate and edge budget keep MNIST's quality.

    python -m benchmarks.batch_study                      # every configuration, on device "auto"
    python -m benchmarks.batch_study --configs b256 b4096-blocks --threads 1

A GPU takes a step of a few thousand edges in about the time it takes one of
256 (the step is bound by launching kernels, not by arithmetic), so on a GPU
the question is which large batch still reaches the map a small one does.
Quality does not depend on the device that computes it, so this study runs
anywhere; only its seconds do. Each configuration fits MNIST's 60,000
training images on one neighbour graph (built once, outside the timing) and
is scored as ``benchmarks.bench_engine`` scores: trustworthiness of the first
10,000 training rows, and on the 10,000 test rows trustworthiness, 1-NN and
5-NN accuracy. Rows are appended to ``batch_study_<device>.md`` as they finish.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from harness.data import load_split
from harness.paths import BENCHMARK_RESULTS, data_dir
from harness.threads import set_threads

#: name -> (ParametricUMAP parameters, the "auto" edge budget that caps n_epochs=None)
CONFIGS: dict[str, tuple[dict[str, Any], int | None]] = {
    "b256": ({}, None),  # the CPU default
    "b4096-blocks": ({"batch_size": 4096}, None),
    "b4096-blocks-lr4e-2": ({"batch_size": 4096, "learning_rate": 4e-2}, None),
    "b4096-blocks-24M": ({"batch_size": 4096}, 24_000_000),
    "b4096-blocks-12M": ({"batch_size": 4096}, 12_000_000),
    "b4096-in_batch-lr4e-2": ({"batch_size": 4096, "learning_rate": 4e-2,
                               "negatives": "in_batch"}, None),
    "b1024-lr2e-2": ({"batch_size": 1024, "learning_rate": 2e-2}, None),
    "b4096-full-square": ({"batch_size": 4096, "pair_block": 4096}, None),
    # time a GPU saves buys width: no input projection, a 3×512 MLP
    "b4096-wide": ({"batch_size": 4096, "input_projection": None,
                    "encoder_hidden": (512, 512, 512)}, None),
}
#: the columns of the report
COLUMNS = ("fit_s", "steps", "ms_per_step", "epochs", "trust_train", "trust_test", "knn1", "knn5")


def fit_config(split, graph, params: dict[str, Any], edge_budget: int | None, device: str,
               seed: int) -> dict[str, float]:
    """Fit one configuration on ``graph``; its time, steps and scores."""
    from benchmarks.bench_engine import scores
    from pumap_core import ParametricUMAP
    from pumap_core.graph import sampling
    from pumap_core.model import batching

    params = dict(params)
    hidden = params.pop("encoder_hidden", None)
    if hidden is not None:
        from pumap_core.nets import MLPEncoder

        params["encoder"] = MLPEncoder(split.X_train.shape[1], 2, hidden=hidden)
    budget, block = dict(batching.AUTO_EDGE_SAMPLES), sampling.PAIR_BLOCK
    batching.AUTO_EDGE_SAMPLES.update(dict.fromkeys(budget, edge_budget or budget["cpu"]))
    sampling.PAIR_BLOCK = params.pop("pair_block", block)
    try:
        model = ParametricUMAP(random_state=seed, device=device, **params)
        t0 = time.perf_counter()
        model.fit(split.X_train, graph=graph)
        fit_s = time.perf_counter() - t0
    finally:
        batching.AUTO_EDGE_SAMPLES.update(budget)
        sampling.PAIR_BLOCK = block
    steps = model.loss_history_[-1]["step"]
    return {"fit_s": fit_s, "steps": steps, "ms_per_step": 1000 * fit_s / steps,
            "epochs": model.loss_history_[-1]["epoch"],
            **scores(split, model.embedding_, model.transform(split.X_test))}


def row_text(name: str, seed: int, row: dict[str, float]) -> str:
    cells = [f"{row[c]:.0f}" if c == "steps" else f"{row[c]:.1f}" if c in ("fit_s", "ms_per_step",
                                                                            "epochs")
             else f"{row[c]:.4f}" for c in COLUMNS]
    return f"| {name} | {seed} | " + " | ".join(cells) + " |"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=BENCHMARK_RESULTS)
    a = p.parse_args(argv)
    set_threads(a.threads)
    from harness.machine import machine_info
    from pumap_core.device import resolve_device
    from pumap_core.graph import build_graph

    device = resolve_device(a.device)
    split = load_split("mnist", data_dir(a.data_dir))
    graph = build_graph(split.X_train, 15, random_state=0, device=device)
    out = a.out / f"batch_study_{device.type}.md"
    a.out.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        info = machine_info({"threads": str(a.threads), "device": str(device)})
        out.write_text("# Large batches on MNIST\n\n`python -m benchmarks.batch_study`; "
                       "settings of each name in `benchmarks/batch_study.py: CONFIGS`\n\n"
                       + "\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n"
                       + "| config | seed | " + " | ".join(COLUMNS) + " |\n"
                       + "|---|---|" + "---|" * len(COLUMNS) + "\n")
    for name in a.configs:
        params, budget = CONFIGS[name]
        for seed in a.seeds:
            line = row_text(name, seed, fit_config(split, graph, params, budget, str(device), seed))
            print(line, flush=True)
            with out.open("a") as f:
                f.write(line + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
