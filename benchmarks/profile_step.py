"""Where a training step's time goes, phase by phase.

    python -m benchmarks.profile_step                  # MNIST (digits when it is absent)
    python -m benchmarks.profile_step --data digits --steps 200

Runs a short fit of each variant under ``torch.profiler`` and reads back the
scopes the training loop marks (``pumap.sample``, ``pumap.gather``,
``pumap.encode``, ``pumap.decode``, ``pumap.losses``, ``pumap.backward``,
``pumap.optimizer``). ``losses`` contains gather, encode and decode (and the
loss arithmetic, the rest). The wall-clock time per step is measured in a
separate run without the profiler. Writes ``step_profile.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.paths import BENCHMARK_RESULTS, data_dir
from harness.report import markdown_table
from harness.threads import set_threads
from pumap_core import ParametricUMAP
from pumap_core.graph.neighbors import nearest_neighbors

PHASES = ("sample", "gather", "encode", "decode", "losses", "backward", "optimizer")
VARIANTS = {
    "UMAP loss only": {},
    "+ reconstruction, every row": {"reconstruction": True, "reconstruction_rows": None},
    "+ reconstruction, 256 rows a step": {"reconstruction": True, "reconstruction_rows": 256},
    "+ reconstruction, 128 rows a step": {"reconstruction": True, "reconstruction_rows": 128},
}


def load_rows(name: str, limit: int | None) -> tuple[str, np.ndarray]:
    from pumap_core.data import DataError, load

    try:
        data = load(name, data_dir=data_dir(), limit=limit)
    except DataError:
        data, name = load("digits"), "digits"
    return name, data.X


class StepCounter:
    def __init__(self) -> None:
        self.step, self.started = 0, None

    def __call__(self, snapshot) -> None:
        if self.started is None:
            self.started = (time.perf_counter(), snapshot.step)
        self.step = snapshot.step
        self.ended = time.perf_counter()

    def ms_per_step(self) -> float:
        t0, s0 = self.started
        return 1e3 * (self.ended - t0) / max(self.step - s0, 1)


def fit(X: np.ndarray, knn, steps: int, params: dict, callback=None) -> ParametricUMAP:
    model = ParametricUMAP(init=None, random_state=0, **params)
    # one epoch is ceil(edge mass / batch) steps; stop after `steps` of them
    from pumap_core import TrainingControls

    controls = TrainingControls()

    def stop_after(snapshot) -> None:
        if callback is not None:
            callback(snapshot)
        if snapshot.step >= steps:
            controls.stop()

    model.fit(X, knn=knn, controls=controls, callback=stop_after, snapshot_interval=0.0)
    return model


def profile_variant(X: np.ndarray, knn, steps: int, params: dict) -> dict[str, float]:
    from torch.profiler import ProfilerActivity, profile

    counter = StepCounter()
    fit(X, knn, steps, params, counter)  # unprofiled: the real time per step
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fit(X, knn, steps, params)
    totals = {e.key.removeprefix("pumap."): e.cpu_time_total / 1e3 / steps
              for e in prof.key_averages() if e.key.startswith("pumap.")}
    row = {phase: totals.get(phase, 0.0) for phase in PHASES}
    row["step (no profiler)"] = counter.ms_per_step()
    return row


def markdown(rows: dict[str, dict[str, float]], header: str) -> str:
    table = pd.DataFrame.from_dict(rows, orient="index").add_suffix(" ms")
    lines = [header, "", markdown_table(table, "variant", digits=2)]
    base = rows["UMAP loss only"]["step (no profiler)"]
    lines += ["", "Step cost ÷ UMAP loss only: " + ", ".join(
        f"{name} {row['step (no profiler)'] / base:.2f}×" for name, row in rows.items())]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="mnist")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=BENCHMARK_RESULTS)
    a = p.parse_args(argv)
    set_threads(a.threads)
    name, X = load_rows(a.data, a.limit)
    knn = nearest_neighbors(X, 15, "euclidean", "auto", 0)
    rows = {variant: profile_variant(X, knn, a.steps, params) for variant, params in VARIANTS.items()}
    header = (f"# Training step profile: {name}, {X.shape[0]:,} × {X.shape[1]}, batch of {ParametricUMAP().batch_size} edges, "
              f"{a.steps} steps, {a.threads} threads\n\n"
              f"`python -m benchmarks.profile_step --data {a.data} --steps {a.steps}` "
              f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}). Milliseconds per step, CPU "
              "time of each marked scope (`losses` includes gather, encode and decode).")
    text = markdown(rows, header)
    print(text)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "step_profile.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
