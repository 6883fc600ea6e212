"""The measurements of ``benchmarks.bench_gpu``, one function each, and its report."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.data import Split, load_split
from harness.paths import REPO

#: rows of the scale set scored (trustworthiness), as benchmarks.bench_scale scores them
QUALITY_ROWS = 10_000
TRAIN_ROWS_SCORED = 10_000
#: (measure, target) pairs of the report; see Report.targets for how each is judged
PAPER = {"trust_train": 0.9573, "knn1": 0.9402, "knn5": 0.9614}


def device_name() -> str:
    from pumap_core.device import resolve_device

    return resolve_device("auto").type


def hardware() -> str:
    """One line: the accelerator (or the CPU), torch, cores."""
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        gpu = f"{props.name}, {props.total_memory / 2**30:.0f} GiB, CUDA {torch.version.cuda}"
    else:
        gpu = "no GPU (CPU run)"
    return (f"{gpu}; {os.cpu_count()} CPU cores; torch {torch.__version__}; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def synchronize() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def mnist_split(folder: Path, n_train: int | None, n_test: int | None) -> Split:
    return load_split("mnist", folder, n_train=n_train, n_test=n_test)


def scores(split: Split, Z_train: np.ndarray, Z_test: np.ndarray) -> dict[str, float]:
    from benchmarks.bench_engine import scores as engine_scores

    return engine_scores(split, Z_train, Z_test)


def fit_ours(split: Split, seed: int, n_epochs: int | None, **params) -> dict[str, float]:
    """Our fit with its defaults (or ``params``), graph included: seconds, epochs and
    scores."""
    from pumap_core import ParametricUMAP

    model = ParametricUMAP(random_state=seed, n_epochs=n_epochs, **params)
    t0 = time.perf_counter()
    model.fit(split.X_train)
    synchronize()
    fit_s = time.perf_counter() - t0
    return {"fit_s": fit_s, "epochs": float(model.loss_history_[-1]["epoch"]),
            "batch": float(_batch(model)),
            **scores(split, model.embedding_, model.transform(split.X_test))}


def _batch(model) -> int:
    from pumap_core.model import batching

    return batching.batch_size(model.batch_size, model.device_)


def warm_up(split: Split) -> None:
    """A small fit first: imports, CUDA's start and numba's compilation out of the way."""
    from pumap_core import ParametricUMAP

    ParametricUMAP(n_epochs=2, random_state=0).fit(split.X_train[:min(2000, len(split.X_train))])
    synchronize()


def summary(fits: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each measure over seeds, with the spread (max − min) of each score."""
    out = {k: float(np.mean([f[k] for f in fits])) for k in fits[0]}
    for k in ("trust_train", "trust_test", "knn1", "knn5", "fit_s"):
        out[f"{k}_spread"] = float(np.ptp([f[k] for f in fits]))
    out["seeds"] = len(fits)
    return out


def transform_rate(split: Split, rows: int, n_epochs: int | None) -> dict[str, float]:
    """Rows per second of ``transform`` on ``rows`` test rows (tiled) from numpy."""
    from pumap_core import ParametricUMAP

    model = ParametricUMAP(n_epochs=n_epochs or 2, random_state=0).fit(split.X_train[:5000])
    X = np.ascontiguousarray(np.resize(split.X_test, (rows, split.X_test.shape[1])))
    model.transform(X[:1000])
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        model.transform(X)
        best = min(best, time.perf_counter() - t0)
    return {"rows": rows, "seconds": best, "rows_per_s": rows / best}


def fit_umap(split: Split, n_jobs: int = -1) -> dict[str, float]:
    """umap-learn's UMAP with its defaults on all cores (numba compiled beforehand)."""
    from harness.methods import umap_learn

    umap_learn(seed=None).fit(split.X_train[:2000])  # numba's compilation
    model = umap_learn(seed=None)
    t0 = time.perf_counter()
    model.fit(split.X_train)
    fit_s = time.perf_counter() - t0
    return {"fit_s": fit_s, **scores(split, np.asarray(model.embedding_),
                                     np.asarray(model.transform(split.X_test)))}


def umap_transform_rate(split: Split, rows: int = 2000) -> dict[str, float]:
    from harness.methods import umap_learn

    model = umap_learn(seed=None).fit(split.X_train[:5000])
    t0 = time.perf_counter()
    model.transform(split.X_test[:rows])
    seconds = time.perf_counter() - t0
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def step_times(split: Split, batches: tuple[int, ...], steps: int = 50) -> list[dict]:
    """Milliseconds per training step of the default MNIST network (a PCA-100 input, a
    3×100 MLP) at each batch size, on the graph of ``split``'s training rows."""
    import torch

    from pumap_core.device import resolve_device
    from pumap_core.graph import build_graph
    from pumap_core.nets import InputProjection, MLPEncoder
    from pumap_core.training import loop
    from pumap_core.training.live import TrainingControls

    device = resolve_device("auto")
    graph = build_graph(split.X_train, 15, random_state=0, device=device)
    inputs = torch.from_numpy(split.X_train)
    if inputs.shape[1] > 2 * 100:  # as the estimator's "auto" input projection does
        with torch.no_grad():
            inputs = InputProjection.pca(split.X_train, 100)(inputs)
    inputs = inputs.to(device)
    out = []
    for batch in batches:
        torch.manual_seed(0)
        nets = loop.Networks(MLPEncoder(inputs.shape[1], 2).to(device))
        config = loop.TrainingConfig(n_epochs=1000, batch_size=batch, seed=0)
        run = loop.start(nets, loop.TrainingData(inputs=inputs, edges=graph.edges), config,
                         TrainingControls(), device)
        for _ in range(5):
            loop.take_step(run)
        synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            loop.take_step(run)
        run.tally.read_back()
        synchronize()
        ms = 1000 * (time.perf_counter() - t0) / steps
        out.append({"batch": run.sampler.batch_size, "ms_per_step": ms,
                    "edges_per_s": run.sampler.batch_size / ms * 1000})
    return out


def fit_rows_ours(folder: Path, n_epochs: int | None) -> dict[str, float]:
    """Our fit of a folder of shards (graph included), scored on random rows."""
    from pumap_core import ParametricUMAP
    from pumap_core.data import load
    from pumap_core.eval.metrics import trustworthiness

    X = load(str(folder)).X
    model = ParametricUMAP(random_state=0, n_epochs=n_epochs)
    t0 = time.perf_counter()
    model.fit(X)
    synchronize()
    fit_s = time.perf_counter() - t0
    rows = np.sort(np.random.default_rng(0).choice(len(X), min(len(X), QUALITY_ROWS), False))
    return {"rows": len(X), "fit_s": fit_s, "epochs": float(model.loss_history_[-1]["epoch"]),
            "trust": trustworthiness(X[rows], model.embedding_[rows])}


def umap_rows_child(folder: Path, timeout: float) -> dict:
    """umap-learn on the shards in a fresh process (its numba compilation included)."""
    code = ("import json,time,numpy as np;from pumap_core.data import load;"
            "from harness.methods import umap_learn;from pumap_core.eval.metrics import "
            f"trustworthiness;X=load({str(folder)!r}).X;t=time.perf_counter();"
            "Z=umap_learn(seed=None).fit_transform(X);s=time.perf_counter()-t;"
            f"r=np.sort(np.random.default_rng(0).choice(len(X),min(len(X),{QUALITY_ROWS}),False));"
            "print(json.dumps({'rows':len(X),'fit_s':s,'trust':trustworthiness(X[r],Z[r])}))")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s"}
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


@dataclass
class Report:
    """Everything one run measured, and how it reads."""

    quick: bool
    hardware: str
    mnist: dict[str, dict] = field(default_factory=dict)
    transform: dict[str, dict] = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)
    scale: dict[str, dict] = field(default_factory=dict)
    nproc: dict = field(default_factory=dict)
    seconds: float = math.nan
    scale_rows: int = 1_000_000

    def targets(self) -> list[tuple[str, str, str, bool | None]]:
        """(measure, measured, target, met); met is None where nothing was measured."""
        ours, umap = self.mnist.get("ours, warm", {}), self.mnist.get("umap-learn, warm", {})
        fresh = self.mnist.get("ours, fresh process", {})
        rows = []

        def add(what, value, text, goal, ok):
            measured = value is not None and not (isinstance(value, float) and math.isnan(value))
            rows.append((what, text if measured else "not measured", goal,
                         bool(ok) if measured else None))

        warm, ref = ours.get("fit_s"), umap.get("fit_s")
        ratio = warm / ref if warm and ref else None
        add("MNIST fit, graph included, warm", warm,
            f"{warm or 0:.1f} s" + (f" ({ratio:.2f}× umap-learn's {ref:.1f} s)" if ratio else ""),
            "≤ 6 s and ≤ 0.25× umap-learn", warm is not None and warm <= 6
            and (ratio is None or ratio <= 0.25))
        add("MNIST fit in a fresh process", fresh.get("fit_s"), f"{fresh.get('fit_s', 0):.1f} s",
            "≤ 15 s", fresh.get("fit_s", math.inf) <= 15)
        t, ut = ours.get("trust_train"), umap.get("trust_train")
        add("MNIST trust, first 10k training rows", t,
            f"{t or 0:.4f} ± {ours.get('trust_train_spread', 0):.4f}"
            + (f" (umap-learn {ut:.4f})" if ut else ""), "≥ .9573 and ≥ umap-learn − .002",
            t is not None and t >= PAPER["trust_train"] and (ut is None or t >= ut - 0.002))
        add("MNIST held-out trust", ours.get("trust_test"), f"{ours.get('trust_test', 0):.4f}",
            "≥ .955", ours.get("trust_test", 0) >= 0.955)
        k1, k5 = ours.get("knn1"), ours.get("knn5")
        add("MNIST held-out 1-NN / 5-NN", k1, f"{k1 or 0:.4f} / {k5 or 0:.4f}", "≥ .9402 / ≥ .9614",
            (k1 or 0) >= PAPER["knn1"] and (k5 or 0) >= PAPER["knn5"])
        big = self.scale.get("ours, fresh process", {})
        add(f"{self.scale_rows:,} rows, fit with graph", big.get("fit_s"),
            f"{big.get('fit_s', 0):.1f} s, trust {big.get('trust', 0):.4f}", "≤ 60 s, trust ≥ .94",
            big.get("fit_s", math.inf) <= 60 and big.get("trust", 0) >= 0.94)
        rate = self.transform.get("ours", {}).get("rows_per_s")
        add("transform, MNIST rows from numpy", rate, f"{(rate or 0) / 1e6:.2f} M rows/s",
            "≥ 5 M rows/s", (rate or 0) >= 5e6)
        rc = self.nproc.get("rc")
        add("fit --nproc 2 on this machine", rc, f"exit {rc}: {self.nproc.get('line', '')[:80]}",
            "works, or exits 2 with one line", rc == 0 and self.nproc.get("saved") or rc == 2)
        return rows

    def markdown(self) -> str:
        lines = [f"# One GPU against umap-learn ({'quick sizes' if self.quick else 'full'})", "",
                 "`python -m benchmarks.bench_gpu" + (" --quick" if self.quick else "") + "`", "",
                 f"- hardware: {self.hardware}"]
        if not math.isnan(self.seconds):
            lines.append(f"- the whole run: {self.seconds:.0f} s")
        cols = ("fit_s", "fit_s_spread", "epochs", "batch", "trust_train", "trust_test", "knn1",
                "knn5", "knn1_spread", "seeds")
        lines += ["", "## MNIST (fit on the training rows, scored on the first 10,000 of them "
                  "and on the held-out rows)", "", "| method | " + " | ".join(cols) + " |",
                  "|---|" + "---|" * len(cols)]
        for name, row in self.mnist.items():
            if "error" in row:
                lines.append(f"| {name} | {row['error']} |")
                continue
            lines.append(f"| {name} | " + " | ".join(_cell(row.get(c), 1 if c.startswith("fit")
                                                          or c in ("epochs", "batch") else 4)
                                                    for c in cols) + " |")
        lines += ["", "## transform", "", "| method | rows | seconds | rows/s |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['rows']:,} | {v['seconds']:.3f} | {v['rows_per_s']:,.0f} |"
                  for k, v in self.transform.items()]
        lines += ["", "## a training step (MNIST's network and graph)", "",
                  "| edges a step | ms a step | edges/s |", "|---|---|---|"]
        lines += [f"| {s['batch']:,} | {s['ms_per_step']:.2f} | {s['edges_per_s']:,.0f} |"
                  for s in self.steps]
        lines += ["", "## rows of benchmarks.scale_data (fresh processes)", "",
                  "| method | rows | fit_s | trust (10,000 rows) |", "|---|---|---|---|"]
        for name, row in self.scale.items():
            lines.append(f"| {name} | {row['error']} |" if "error" in row else
                         f"| {name} | {row['rows']:,} | {row['fit_s']:.1f} | {row['trust']:.4f} |")
        lines += ["", "## targets" + (" (quick sizes: not the targets' conditions)"
                                      if self.quick else ""), "",
                  "| measure | measured | target | met |", "|---|---|---|---|"]
        lines += [f"| {what} | {text} | {goal} | {'—' if ok is None else 'yes' if ok else '**no**'} |"
                  for what, text, goal, ok in self.targets()]
        return "\n".join(lines) + "\n"
