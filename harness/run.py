"""Running runners on one data set, and the results as tables.

One method at a time: fit on the training rows, transform the held-out rows
(one cold call, then warm repeats), peak memory over both, every metric of
:func:`harness.scoring.score`, and the trustworthiness-over-time curve of
its training snapshots. :func:`results_frame` and :func:`ratios_frame` turn
a :class:`DatasetReport` into numbers, one row per method.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.data import Split
from harness.memory import PeakMemory, peak_memory
from harness.runners import Fitted, Runner
from harness.scoring import score, trust_curve
from harness.timing import Repeats, repeat

TIMING_COLUMNS = ["graph_s", "fit_s", "transform_s", "transform_first_s", "n_transform",
                  "peak_rss_mb", "peak_delta_mb"]
METRIC_COLUMNS = ["trustworthiness", "rnx_auc", "knn_accuracy_1", "knn_accuracy_5",
                  "silhouette", "kmeans_nmi", "distance_correlation_pearson",
                  "distance_correlation_spearman"]
COLUMNS = ["status", *TIMING_COLUMNS, *METRIC_COLUMNS]
#: Ratios ours/peer for these columns; metric columns get a difference ours − peer.
RATIO_COLUMNS = ["graph_s", "fit_s", "transform_s", "peak_rss_mb"]

@dataclass
class MethodResult:
    """One method on one data set."""

    name: str
    label: str
    settings: str
    status: str = "ok"
    n_transform: int = 0
    fitted: Fitted | None = None
    transform: Repeats | None = None
    memory: PeakMemory | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    curve: pd.DataFrame | None = None

    @property
    def notes(self) -> list[str]:
        return self.fitted.notes if self.fitted else []


@dataclass
class DatasetReport:
    """Everything measured on one data set."""

    split: Split
    results: list[MethodResult]
    seconds: float = 0.0

    def result(self, name: str) -> MethodResult | None:
        return next((r for r in self.results if r.name == name and r.status == "ok"), None)

    def curve_rows(self) -> np.ndarray | None:
        """The training rows of the first snapshot curve, for the next method's curve."""
        return next((r.fitted.curve_rows for r in self.results
                     if r.fitted is not None and r.fitted.curve_rows is not None), None)


def run_method(runner: Runner, split: Split, curve_rows: np.ndarray | None,
               warm_repeats: int) -> MethodResult:
    """Fit, transform the test rows (cold + warm repeats) and score one method."""
    result = MethodResult(runner.name, runner.label, runner.settings())
    why = runner.unavailable()
    if why is not None:
        result.status = why
        return result
    warm = min(warm_repeats, runner.max_transform_repeats)
    runner.prepare()
    X_new = split.timing_rows()
    result.n_transform = len(X_new)
    with peak_memory() as mem:
        fitted = runner.fit(split.X_train, curve_rows)
        timings = repeat(lambda: runner.transform(X_new), warm)
    result.fitted, result.transform, result.memory = fitted, timings, mem
    # Same rows (digits): score the fit's own embedding of them, as for a nonparametric UMAP.
    Z_test = fitted.embedding if split.same_rows else np.asarray(timings.result)
    result.metrics = score(split, fitted.embedding, Z_test)
    result.curve = trust_curve(split.X_train, fitted) if fitted.snaps else None
    return result


def run_dataset(split: Split, runners: Sequence[Runner], warm_repeats: int = 5,
                log: Callable[..., None] = print,
                report: DatasetReport | None = None) -> DatasetReport:
    """Run every runner on ``split`` in order; the first curve's rows are reused by the others.

    With ``report``, its results are extended (a second pass on the same data set).
    """
    t0 = time.perf_counter()
    report = report or DatasetReport(split, [])
    report.split = split
    for runner in runners:
        log(f"[{split.name}] {runner.label} ...")
        result = run_method(runner, split, report.curve_rows(), warm_repeats)
        log(f"[{split.name}] {runner.label}: {_one_line(result)}")
        report.results.append(result)
    report.seconds += time.perf_counter() - t0
    return report


def _one_line(r: MethodResult) -> str:
    if r.status != "ok":
        return r.status
    assert r.fitted is not None and r.transform is not None
    return (f"fit {r.fitted.fit_s:.2f} s, transform {r.transform.median_s * 1e3:.1f} ms, "
            f"trustworthiness {r.metrics.get('trustworthiness', math.nan):.4f}")


def results_frame(report: DatasetReport) -> pd.DataFrame:
    """One row per method (index: method name), columns :data:`COLUMNS`."""
    rows = {}
    for r in report.results:
        row: dict[str, object] = {c: math.nan for c in COLUMNS}
        row["status"] = r.status
        if r.status == "ok":
            assert r.fitted is not None and r.transform is not None and r.memory is not None
            row.update({
                "graph_s": math.nan if r.fitted.graph_s is None else r.fitted.graph_s,
                "fit_s": r.fitted.fit_s,
                "transform_s": r.transform.median_s,
                "transform_first_s": r.transform.first_s,
                "n_transform": r.n_transform,
                "peak_rss_mb": r.memory.peak_mb,
                "peak_delta_mb": r.memory.delta_mb,
            })
            row.update({k: v for k, v in r.metrics.items() if k in METRIC_COLUMNS})
        rows[r.name] = row
    return pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS)


def ratios_frame(frame: pd.DataFrame, ours: str = "ours") -> pd.DataFrame:
    """ours/peer for times and memory, ours − peer for metrics; one row per peer."""
    if ours not in frame.index or frame.loc[ours, "status"] != "ok":
        return pd.DataFrame()
    peers = [m for m in frame.index if m != ours and frame.loc[m, "status"] == "ok"]
    out: dict[str, dict[str, float]] = {}
    for peer in peers:
        col: dict[str, float] = {}
        for c in RATIO_COLUMNS:
            a, b = float(frame.loc[ours, c]), float(frame.loc[peer, c])
            col[f"{c} ours/peer"] = a / b if b > 0 else math.nan
        for c in METRIC_COLUMNS:
            col[f"{c} ours−peer"] = float(frame.loc[ours, c]) - float(frame.loc[peer, c])
        out[peer] = col
    return pd.DataFrame.from_dict(out, orient="index")
