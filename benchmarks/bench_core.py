"""Core benchmark: ours vs umap-learn UMAP, PCA and umap-learn ParametricUMAP.

One process, the same data for every method:

    python -m benchmarks.bench_core                      # digits, MNIST, Fashion-MNIST
    python -m benchmarks.bench_core --datasets digits --quick   # < 1 min smoke run

Per data set and method: graph time (kNN + fuzzy graph, where separable),
fit time (graph included), transform time of the test rows (median of warm
repeats; the cold first call too), peak RSS (see :mod:`harness.memory`)
and every metric of :func:`pumap_core.eval.metrics.evaluate` on the test rows
(kNN accuracy: classifier fitted on the training embedding). Then ratios
ours/peer, a trustworthiness-over-time comparison of the parametric methods
(snapshots of a fixed subsample of training rows, scored after the run) and
the targets (:mod:`benchmarks.core_targets`), met or not. Tables go to
stdout and, as CSV and Markdown, to ``--out`` (``core_<date>.csv``, ``core_<date>_curves.csv``,
``core_<date>.md`` and ``core_latest.md``; ``--quick`` writes ``core_quick_*``).

digits has no test split: every method is fitted on all 1,797 images and
evaluated on all of them (transform = the same rows again); its kNN accuracy
is 5-fold cross-validated on that embedding (folds fixed, stratified).

The run loop is :func:`harness.run.run_dataset`; the tables are written by
:mod:`benchmarks.core_report`. OpenMP's wait policy is the process's own (the
report records ``OMP_WAIT_POLICY``): see :mod:`harness`.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.core_report import print_report, report_markdown, write_outputs
from harness.data import load_split
from harness.keras_peer import KerasPUMAP
from harness.machine import code_version, machine_info
from harness.paths import BENCHMARK_RESULTS
from harness.run import DatasetReport, run_dataset
from harness.runners import Ours, PCARunner, Runner, UMAPLearn
from harness.threads import set_threads

DATASETS = ("digits", "mnist", "fashion-mnist")
METHODS = ("ours", "pca", "umap", "keras-pumap")


@dataclass
class Settings:
    """What one invocation runs."""

    datasets: list[str]
    methods: list[str]
    quick: bool
    warm_repeats: int
    keras_budget_s: float | None
    threads: int


def make_runners(settings: Settings, n_train: int) -> list[Runner]:
    """The runners, ours first (its snapshot rows are reused by the Keras peer)."""
    interval = 0.25 if n_train < 5000 else 2.0
    if settings.quick:
        all_runners: list[Runner] = [
            Ours(n_epochs=10, snapshot_interval=interval), PCARunner(),
            UMAPLearn(n_epochs=30, max_transform_repeats=0),
            KerasPUMAP(n_epochs=5, budget_s=settings.keras_budget_s, snapshot_interval=interval,
                       threads=settings.threads)]
    else:
        all_runners = [
            Ours(snapshot_interval=interval), PCARunner(), UMAPLearn(),
            KerasPUMAP(budget_s=settings.keras_budget_s, snapshot_interval=interval,
                       threads=settings.threads)]
    return [r for r in all_runners if r.name in settings.methods]


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, Path, Path | None, int | None]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default=",".join(DATASETS),
                   help="comma-separated: digits, mnist, fashion-mnist (default: all)")
    p.add_argument("--methods", default=",".join(METHODS),
                   help="comma-separated: ours, pca, umap, keras-pumap (default: all; "
                        "--quick leaves keras-pumap out unless named)")
    p.add_argument("--quick", action="store_true",
                   help="digits only, few epochs, 2 warm transform repeats (umap-learn: cold "
                        "call only); under a minute")
    p.add_argument("--out", type=Path, default=BENCHMARK_RESULTS)
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder holding mnist/ (default $PUMAP_DATA_DIR, else ../shared/data)")
    p.add_argument("--limit", type=int, default=None,
                   help="keep only the first N training and N test rows (smoke runs)")
    p.add_argument("--repeats", type=int, default=5,
                   help="warm transform repeats after the cold call (umap-learn: at most 2)")
    p.add_argument("--keras-budget", type=float, default=360.0,
                   help="stop umap-learn ParametricUMAP's training after this many seconds "
                        "(0: no limit)")
    p.add_argument("--threads", type=int, default=2, help="torch, numba and TensorFlow threads")
    a = p.parse_args(argv)
    explicit_methods = any(arg.startswith("--methods") for arg in (argv or sys.argv[1:]))
    datasets = ["digits"] if a.quick else [d.strip() for d in a.datasets.split(",") if d.strip()]
    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    if a.quick and not explicit_methods:
        methods = [m for m in methods if m != "keras-pumap"]
    bad = [d for d in datasets if d not in DATASETS] + [m for m in methods if m not in METHODS]
    if bad:
        p.error(f"unknown data set or method: {', '.join(bad)}")
    budget = a.keras_budget if a.keras_budget > 0 else None
    if a.quick:
        budget = min(budget or 20.0, 20.0)
    settings = Settings(datasets, methods, a.quick, 2 if a.quick else a.repeats, budget,
                        a.threads)
    return settings, a.out, a.data_dir, a.limit


def main(argv: Sequence[str] | None = None) -> int:
    settings, out, data_dir, limit = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    set_threads(settings.threads)
    command = "python -m benchmarks.bench_core " + " ".join(argv if argv is not None
                                                               else sys.argv[1:])
    from pumap_core.data import DataError

    info = machine_info({"code": code_version(),
                         "threads requested": str(settings.threads),
                         "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", ""),
                         "keras budget": (f"{settings.keras_budget_s:g} s"
                                          if settings.keras_budget_s else "none")})
    reports: dict[str, DatasetReport] = {}
    skipped: dict[str, str] = {}
    # Two passes: every data set without the Keras peer, then the Keras peer on each, so
    # TensorFlow (~1 GB once imported) is not yet in the process while the others run.
    for keras_pass in (False, True):
        for name in settings.datasets:
            if name in skipped:
                continue
            try:
                split = load_split(name, data_dir, limit=limit)
            except DataError as exc:
                skipped[name] = str(exc)
                print(f"[{name}] skipped: {exc}")
                continue
            runners = [r for r in make_runners(settings, len(split.X_train))
                       if (r.name == "keras-pumap") == keras_pass]
            if runners:
                reports[name] = run_dataset(split, runners, settings.warm_repeats,
                                            report=reports.get(name))
            if name in reports:
                reports[name].split = split.without_data()
            del split
            gc.collect()
    for report in reports.values():
        print_report(report)
    markdown = report_markdown(list(reports.values()), info, command.strip(), skipped)
    prefix = "core_quick" if settings.quick else "core"
    paths = write_outputs(list(reports.values()), markdown, out, prefix)
    print("\nwrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
