"""One GPU against umap-learn on the same machine's cores: MNIST, then a million rows.

    python -m benchmarks.bench_gpu                  # a GPU machine: about 6 minutes
    python -m benchmarks.bench_gpu --quick          # small sizes on any device (tested on CPUs)

On the machine it runs on (``device="auto"``: the GPU where there is one):
- MNIST (60,000 training rows fitted, 10,000 held out): our fit, graph included, in a
  fresh process (CUDA's start and every compilation included) and warm in this one,
  three seeds (mean and spread), and once with 4,096-edge steps; umap-learn on all
  cores; trustworthiness of the first 10,000 training rows, held-out
  trustworthiness, 1-NN and 5-NN accuracy; transform throughput from numpy rows;
- the step: milliseconds a training step takes at several batch sizes (where a
  step stops being bound by launching kernels);
- a million rows of ``benchmarks.scale_data``, fitted in a fresh process, scored on
  10,000 random rows; umap-learn on them if the time left allows;
- ``fit --nproc 2`` on this machine.
Writes ``gpu_latest.md`` and ``gpu_<date>.md`` (``--quick``: ``gpu_quick.md``) with the
hardware, the tables and each target against its measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import gpu_parts as parts
from harness.paths import BENCHMARK_RESULTS, REPO, data_dir
from harness.threads import set_threads

#: the full run and the quick one: rows, seeds, epochs (None: the estimator's own)
SIZES = {
    "full": {"train": None, "test": None, "scale_rows": 1_000_000, "transform_rows": 1_000_000,
             "seeds": (0, 1, 2), "n_epochs": None, "batches": (256, 1024, 2048, 4096, 8192)},
    "quick": {"train": 1500, "test": 500, "scale_rows": 5000, "transform_rows": 20_000,
              "seeds": (0, 1), "n_epochs": 3, "batches": (256, 1024)},
}


def child(args: argparse.Namespace) -> int:
    """One fit in this fresh process; prints its seconds (and scores) as JSON."""
    if not args.quick:
        set_threads(os.cpu_count() or 1)
    if args.child == "fit-mnist":
        split = parts.mnist_split(args.data_dir, args.train, args.test)
        out = parts.fit_ours(split, seed=0, n_epochs=args.n_epochs)
    else:
        out = parts.fit_rows_ours(args.scale_dir, args.n_epochs)
    print(json.dumps(out))
    return 0


def run_child(what: str, args: argparse.Namespace, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_gpu", "--child", what,
           "--data-dir", str(args.data_dir), "--scale-dir", str(args.scale_dir)]
    if args.quick:
        cmd.append("--quick")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def nproc_check(device: str, timeout: float) -> dict:
    """``python -m pumap_core fit digits --nproc 2`` on this machine: its exit code and
    the last line it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pumap_core", "fit", "digits", "--out",
               str(Path(tmp) / "m.pumap"), "--n-epochs", "2", "--nproc", "2", "--device", device,
               "--quiet"]
        t0 = time.perf_counter()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"rc": None, "line": f"did not finish within {timeout:.0f} s"}
        lines = (done.stderr + done.stdout).strip().splitlines()
        return {"rc": done.returncode, "seconds": time.perf_counter() - t0,
                "saved": (Path(tmp) / "m.pumap").exists(), "line": lines[-1] if lines else ""}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a check of the script")
    p.add_argument("--peers", choices=("umap", "none"), default="umap")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds the whole run may take (default: 360; --quick: no limit)")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--scale-dir", type=Path, default=None,
                   help="Parquet shards of benchmarks.scale_data (made here when missing)")
    p.add_argument("--out", type=Path, default=BENCHMARK_RESULTS)
    p.add_argument("--child", choices=("fit-mnist", "fit-rows"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    size = SIZES["quick" if a.quick else "full"]
    a.budget = a.budget or (float("inf") if a.quick else 360.0)
    a.data_dir = data_dir(a.data_dir)
    a.train, a.test, a.n_epochs = size["train"], size["test"], size["n_epochs"]
    a.scale_dir = a.scale_dir or Path(tempfile.gettempdir()) / f"pumap-scale-{size['scale_rows']}"
    if a.child:
        return child(a)
    started = time.perf_counter()

    def left() -> float:
        return a.budget - (time.perf_counter() - started)

    if not a.quick:  # the machine's every core, as umap-learn uses them
        set_threads(os.cpu_count() or 1)
    report = parts.Report(quick=a.quick, hardware=parts.hardware())
    print(report.hardware, flush=True)
    split = parts.mnist_split(a.data_dir, a.train, a.test)
    report.mnist["ours, fresh process"] = run_child("fit-mnist", a, timeout=max(60.0, left()))
    report.scale_rows = size["scale_rows"]
    parts.warm_up(split)
    fits = [parts.fit_ours(split, seed, size["n_epochs"]) for seed in size["seeds"]]
    report.mnist["ours, warm"] = parts.summary(fits)
    report.mnist["ours, batch_size=4096, warm"] = parts.summary(
        [parts.fit_ours(split, 0, size["n_epochs"], batch_size=4096)])
    report.transform["ours"] = parts.transform_rate(split, size["transform_rows"],
                                                    size["n_epochs"])
    if a.peers == "umap":
        report.mnist["umap-learn, warm"] = parts.fit_umap(split, n_jobs=-1)
        report.transform["umap-learn"] = parts.umap_transform_rate(split)
    report.steps = parts.step_times(split, size["batches"], steps=10 if a.quick else 50)
    print(report.markdown(), flush=True)
    if not a.scale_dir.exists():
        from benchmarks.scale_data import write_shards

        write_shards(size["scale_rows"], a.scale_dir, a.data_dir)
    report.scale["ours, fresh process"] = run_child("fit-rows", a, timeout=max(60.0, left()))
    if a.peers == "umap" and left() > 120:
        report.scale["umap-learn"] = parts.umap_rows_child(a.scale_dir, timeout=left())
    elif a.peers == "umap":
        report.scale["umap-learn"] = {"error": f"not run: {max(left(), 0):.0f} s of the budget left"}
    report.nproc = nproc_check(parts.device_name(), timeout=max(60.0, left()))
    report.seconds = time.perf_counter() - started
    text = report.markdown()
    print(text, flush=True)
    a.out.mkdir(parents=True, exist_ok=True)
    stems = ["gpu_quick"] if a.quick else ["gpu_latest", f"gpu_{time.strftime('%Y-%m-%d')}"]
    for stem in stems:
        (a.out / f"{stem}.md").write_text(text)
    print(f"wrote {a.out / (stems[0] + '.md')}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
