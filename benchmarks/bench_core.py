"""Core benchmark (issue 3): ours vs umap-learn UMAP, PCA and umap-learn ParametricUMAP.

One process, the same data for every method:

    python benchmarks/bench_core.py                      # digits, MNIST, Fashion-MNIST
    python benchmarks/bench_core.py --datasets digits --quick   # < 1 min smoke run

Per data set and method: graph time (kNN + fuzzy graph, where separable),
fit time (graph included), transform time of the test rows (median of warm
repeats; the cold first call too), peak RSS (see :mod:`benchmarks.measure`)
and every metric of :func:`pumap_core.metrics.evaluate` on the test rows
(kNN accuracy: classifier fitted on the training embedding). Then ratios
ours/peer, a trustworthiness-over-time comparison of the parametric methods
(snapshots of a fixed subsample of training rows, scored after the run) and
the issue's targets, met or not. Tables go to stdout and, as CSV and
Markdown, to ``--out`` (``core_<date>.csv``, ``core_<date>_curves.csv``,
``core_<date>.md`` and ``core_latest.md``; ``--quick`` writes ``core_quick_*``).

digits has no test split: every method is fitted on all 1,797 images and
evaluated on all of them (transform = the same rows again); its kNN accuracy
is 5-fold cross-validated on that embedding (folds fixed, stratified).
"""

from __future__ import annotations

import os

# Before torch/numba/MKL start their OpenMP pools: idle OpenMP threads sleep instead
# of spinning. On a 2-core machine shared with other work, spinning threads made
# ours' training ~8x slower at 2 torch threads (40 s vs 5 s on digits, 20 epochs).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.measure import PeakMemory, Repeats, machine_info, peak_memory, repeat  # noqa: E402
from benchmarks.peers import (  # noqa: E402
    Fitted,
    KerasPUMAP,
    Ours,
    PCARunner,
    Runner,
    UMAPLearn,
)

DATASETS = ("digits", "mnist", "fashion-mnist")
METHODS = ("ours", "pca", "umap", "keras-pumap")
TIMING_COLUMNS = ["graph_s", "fit_s", "transform_s", "transform_first_s", "n_transform",
                  "peak_rss_mb", "peak_delta_mb"]
METRIC_COLUMNS = ["trustworthiness", "rnx_auc", "knn_accuracy_1", "knn_accuracy_5",
                  "silhouette", "kmeans_nmi", "distance_correlation_pearson",
                  "distance_correlation_spearman"]
COLUMNS = ["status", *TIMING_COLUMNS, *METRIC_COLUMNS]
#: Ratios ours/peer for these columns; metric columns get a difference ours − peer.
RATIO_COLUMNS = ["graph_s", "fit_s", "transform_s", "peak_rss_mb"]
#: Reference figures from issue 3 (not measured here), used when Keras is missing.
REFERENCE_KERAS_DIGITS = {"trustworthiness": 0.982, "seconds_defaults": 240.0,
                          "seconds_n_epochs_50": 28.0}


# --------------------------------------------------------------------- data
@dataclass
class Split:
    """Training rows (fit) and test rows (transform + metrics) of one data set."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    same_rows: bool = False  # test rows are the training rows (digits)
    note: str = ""

    def timing_rows(self) -> np.ndarray:
        """The rows whose transform is timed.

        With ``same_rows`` they are the training rows nudged by 1e-6: umap-learn's
        ``transform`` returns its stored embedding for data that hashes like the
        training data, which would time a lookup instead of a transform.
        """
        if not self.same_rows:
            return self.X_test
        return self.X_test + np.float32(1e-6)

    def without_data(self) -> Split:
        """The same split with zero-row arrays: frees the data, keeps name and note."""
        return replace(self, X_train=self.X_train[:0], y_train=self.y_train[:0],
                       X_test=self.X_test[:0], y_test=self.y_test[:0])


def default_data_dir() -> Path:
    """$PUMAP_DATA_DIR, else the shared data folder beside the repository."""
    env = os.environ.get("PUMAP_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def load_split(name: str, data_dir: Path | None = None, limit: int | None = None) -> Split:
    """Load a named data set; raises ``pumap_core.data.DataError`` when it is absent."""
    from pumap_core.data import load

    if name == "digits":
        d = load("digits", limit=limit)
        return Split(name, d.X, d.labels, d.X, d.labels, same_rows=True,
                     note=f"fit on all {len(d.X):,} images, evaluated on the same rows; "
                          "kNN accuracy 5-fold cross-validated on that embedding")
    train = load(name, data_dir=data_dir, limit=limit)
    test = load(f"{name}-test", data_dir=data_dir, limit=limit)
    return Split(name, train.X, train.labels, test.X, test.labels,
                 note=f"fit on {len(train.X):,} training images, transform and evaluate "
                      f"the {len(test.X):,} test images")


# ------------------------------------------------------------------ metrics
def cross_validated_knn(Z: np.ndarray, y: np.ndarray, ks: Sequence[int] = (1, 5),
                        folds: int = 5) -> dict[str, float]:
    """k-NN accuracy on an embedding of all points: mean over stratified folds."""
    from sklearn.model_selection import StratifiedKFold

    from pumap_core.metrics import knn_accuracy

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    scores: dict[str, list[float]] = {f"knn_accuracy_{k}": [] for k in ks}
    for tr, te in splitter.split(Z, y):
        for k in ks:
            scores[f"knn_accuracy_{k}"].append(knn_accuracy(Z[tr], y[tr], Z[te], y[te], k))
    return {key: float(np.mean(vals)) for key, vals in scores.items()}


def score(split: Split, Z_train: np.ndarray, Z_test: np.ndarray) -> dict[str, float]:
    """Every metric of ``pumap_core.metrics.evaluate`` on the test rows."""
    from pumap_core.metrics import evaluate

    if split.same_rows:
        out = evaluate(split.X_test, Z_test, split.y_test)
        out.update(cross_validated_knn(Z_test, split.y_test))
        return out
    return evaluate(split.X_test, Z_test, split.y_test, Z_train, split.y_train)


def trust_curve(X_train: np.ndarray, fitted: Fitted) -> pd.DataFrame:
    """Trustworthiness (k=5) of each training snapshot on its subsample, over time."""
    from pumap_core.metrics import trustworthiness

    if not fitted.snaps or fitted.curve_rows is None:
        return pd.DataFrame(columns=["seconds", "trustworthiness"])
    X = X_train[fitted.curve_rows]
    return pd.DataFrame({
        "seconds": [s.seconds for s in fitted.snaps],
        "trustworthiness": [trustworthiness(X, s.embedding, k=5) for s in fitted.snaps],
    })


def time_to_reach(curve: pd.DataFrame, level: float) -> float:
    """Seconds at which the curve first reaches ``level`` (NaN if it never does)."""
    hit = curve.loc[curve["trustworthiness"] >= level, "seconds"]
    return float(hit.iloc[0]) if len(hit) else math.nan


# ------------------------------------------------------------------ running
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
                log=print, report: DatasetReport | None = None) -> DatasetReport:
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


# ------------------------------------------------------------------- tables
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


def same_trust(report: DatasetReport, peer: str = "keras-pumap") -> dict[str, float]:
    """Time to the same trustworthiness (curve subsample): ours vs ``peer``.

    The level is the lower of the two curves' best values, so both reach it;
    each time counts from the call to fit (graph included).
    """
    ours, other = report.result("ours"), report.result(peer)
    if ours is None or other is None or ours.curve is None or other.curve is None:
        return {}
    if ours.curve.empty or other.curve.empty:
        return {}
    level = min(ours.curve["trustworthiness"].max(), other.curve["trustworthiness"].max())
    t_ours, t_peer = time_to_reach(ours.curve, level), time_to_reach(other.curve, level)
    return {"level": float(level), "ours_s": t_ours, "peer_s": t_peer,
            "speedup": t_peer / t_ours if t_ours > 0 else math.nan,
            "ours_best": float(ours.curve["trustworthiness"].max()),
            "peer_best": float(other.curve["trustworthiness"].max()),
            "n_rows": float(len(ours.fitted.curve_rows)) if ours.fitted else math.nan}


def reference_trust(report: DatasetReport) -> dict[str, float]:
    """Without Keras, on digits: ours' time to the reference .982 (issue 3 figures)."""
    ours = report.result("ours")
    if report.split.name != "digits" or ours is None or ours.curve is None:
        return {}
    level = REFERENCE_KERAS_DIGITS["trustworthiness"]
    t = time_to_reach(ours.curve, level)
    return {"level": level, "ours_s": t, "reference_s": REFERENCE_KERAS_DIGITS["seconds_defaults"],
            "speedup": REFERENCE_KERAS_DIGITS["seconds_defaults"] / t if t > 0 else math.nan}


@dataclass
class Target:
    """One target of issue 3 on one data set."""

    name: str
    measured: str
    met: bool | None  # None: could not be measured here


def targets(report: DatasetReport) -> list[Target]:
    """The issue's targets, evaluated on this data set's numbers."""
    frame = results_frame(report)
    ok = frame["status"] == "ok"
    out: list[Target] = []

    def value(method: str, col: str) -> float:
        return float(frame.loc[method, col]) if method in frame.index and ok[method] else math.nan

    def target(name: str, x: float, text: str, met: bool) -> Target:
        return Target(name, "not measured" if math.isnan(x) else text,
                      None if math.isnan(x) else met)

    for metric in ("trustworthiness", "knn_accuracy_1", "silhouette"):
        d = value("ours", metric) - value("umap", metric)
        out.append(target(f"{metric} within 0.01 of umap-learn UMAP or better", d,
                          f"ours − UMAP = {d:+.4f}", d >= -0.01))
    r = value("ours", "fit_s") / value("umap", "fit_s")
    out.append(target("fit (graph included) no slower than umap-learn UMAP", r,
                      f"ours/UMAP = {r:.2f}×", r <= 1.0))
    st = same_trust(report)
    if st:
        out.append(Target("≥10× faster than umap-learn ParametricUMAP to the same trustworthiness",
                          f"{st['speedup']:.1f}× (T={st['level']:.4f}: ours {st['ours_s']:.1f} s, "
                          f"Keras {st['peer_s']:.1f} s)", st["speedup"] >= 10))
    else:
        out.append(Target("≥10× faster than umap-learn ParametricUMAP to the same trustworthiness",
                          "Keras peer not run", None))
    r = value("ours", "transform_s") / value("pca", "transform_s")
    out.append(target("transform within 3× of PCA", r, f"ours/PCA = {r:.2f}×", r <= 3.0))
    r = value("umap", "transform_s") / value("ours", "transform_s")
    out.append(target("transform ≥100× faster than umap-learn transform", r,
                      f"UMAP/ours = {r:.0f}×", r >= 100))
    m = value("ours", "peak_rss_mb")
    out.append(target("peak memory end to end under 4 GB", m, f"ours peak RSS = {m:,.0f} MB",
                      m < 4000))
    return out


# ------------------------------------------------------------------ display
def _fmt(value: object, column: str) -> str:
    if isinstance(value, str):
        return value
    v = float(value)  # type: ignore[arg-type]
    if math.isnan(v):
        return "—"
    if column.endswith("_mb"):
        return f"{v:,.0f}"
    if column == "n_transform":
        return f"{v:,.0f}"
    if column.endswith("_s"):
        return f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"
    if "ours/peer" in column:
        return f"{v:.3g}×"
    if "ours−peer" in column:
        return f"{v:+.4f}"
    return f"{v:.4f}"


def display(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Quantities as rows, methods as columns, values formatted as text."""
    shown = frame.T.copy()
    for col in shown.columns:
        shown[col] = [_fmt(v, row) for row, v in zip(shown.index, shown[col], strict=True)]
    if labels:
        shown.columns = [labels.get(c, c) for c in shown.columns]
    return shown


def markdown_table(table: pd.DataFrame, index_name: str = "") -> str:
    """A GitHub Markdown table (no extra dependency)."""
    header = [index_name, *map(str, table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in table.iterrows():
        lines.append("| " + " | ".join([str(idx), *map(str, row.tolist())]) + " |")
    return "\n".join(lines)


def transform_speed(report: DatasetReport) -> pd.DataFrame:
    """Transform of the test rows: cold call, warm median, min, repeats, vs ours."""
    ours = report.result("ours")
    rows = {}
    for r in report.results:
        if r.status != "ok" or r.transform is None:
            continue
        t = r.transform
        rows[r.label] = {
            "first call": _fmt(t.first_s, "x_s"),
            "median": _fmt(t.median_s, "x_s"),
            "min": _fmt(min(t.warm_s or [t.first_s]), "x_s"),
            "warm repeats": str(len(t.warm_s)),
            "points/s": f"{r.n_transform / t.median_s:,.0f}",
            "time vs ours": (f"{t.median_s / ours.transform.median_s:.3g}×"
                             if ours and ours.transform else "—"),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def curve_summary(report: DatasetReport) -> pd.DataFrame:
    """Each parametric method's curve: first and best trustworthiness, and when."""
    rows = {}
    for r in report.results:
        if r.curve is None or r.curve.empty:
            continue
        best = int(r.curve["trustworthiness"].idxmax())
        rows[r.label] = {
            "snapshots": str(len(r.curve)),
            "first (s, T)": f"{r.curve['seconds'].iloc[0]:.1f} s, "
                            f"{r.curve['trustworthiness'].iloc[0]:.4f}",
            "best (s, T)": f"{r.curve['seconds'].iloc[best]:.1f} s, "
                           f"{r.curve['trustworthiness'].iloc[best]:.4f}",
            "final (s, T)": f"{r.curve['seconds'].iloc[-1]:.1f} s, "
                            f"{r.curve['trustworthiness'].iloc[-1]:.4f}",
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _curve_points(report: DatasetReport, name: str, levels: Sequence[float]) -> str:
    r = report.result(name)
    if r is None or r.curve is None:
        return ""
    parts = [f"T≥{lv:.2f}: {time_to_reach(r.curve, lv):.1f} s" for lv in levels]
    return ", ".join(parts)


def dataset_markdown(report: DatasetReport) -> str:
    """The Markdown section of one data set."""
    frame = results_frame(report)
    labels = {r.name: r.label for r in report.results}
    parts = [f"### {report.split.name}", "", report.split.note + ".", "",
             markdown_table(display(frame, labels), "quantity")]
    ratios = ratios_frame(frame)
    if not ratios.empty:
        parts += ["", "Ratios (times, memory: ours/peer; metrics: ours − peer):", "",
                  markdown_table(display(ratios, labels), "ours vs")]
    parts += ["", "Transform speed (test rows, warm repeats after one cold call):", "",
              markdown_table(transform_speed(report), "method")]
    parts += ["", *_trust_lines(report)]
    curves = curve_summary(report)
    if not curves.empty:
        parts += ["", markdown_table(curves, "trustworthiness over time")]
    parts += ["", "Targets (issue 3):", ""]
    parts += [f"- {'MET' if t.met else ('not met' if t.met is False else 'n/a')}: {t.name} — "
              f"{t.measured}" for t in targets(report)]
    notes = [f"{r.label}: {r.settings}" + (f"; {'; '.join(r.notes)}" if r.notes else "")
             for r in report.results]
    parts += ["", "Settings: " + " | ".join(notes), ""]
    return "\n".join(parts)


def _trust_lines(report: DatasetReport) -> list[str]:
    st = same_trust(report)
    if st:
        return [f"Time to the same trustworthiness (k=5 on {st['n_rows']:,.0f} training rows, "
                f"from the call to fit, graph included): level {st['level']:.4f} — ours "
                f"{st['ours_s']:.1f} s, umap-learn ParametricUMAP {st['peer_s']:.1f} s: "
                f"**{st['speedup']:.1f}×** (best: ours {st['ours_best']:.4f}, "
                f"Keras {st['peer_best']:.4f})."]
    ref = reference_trust(report)
    lines = []
    if ref:
        lines.append(f"umap-learn ParametricUMAP not measured here. REFERENCE figures from issue 3 "
                     f"(not measured in this run): {ref['reference_s']:.0f} s at defaults, "
                     f"T={ref['level']:.3f}; 28 s at n_epochs=50. Ours reached T≥{ref['level']:.3f} "
                     f"in {ref['ours_s']:.1f} s → {ref['speedup']:.1f}× vs the reference.")
    points = _curve_points(report, "ours", (0.90, 0.95, 0.97, 0.98))
    if points:
        lines.append(f"Ours' time to trustworthiness (curve subsample): {points}.")
    return lines


def report_markdown(reports: Sequence[DatasetReport], info: dict[str, str], command: str,
                    skipped: dict[str, str]) -> str:
    """The whole Markdown report."""
    head = [f"## Core benchmark — {info['date']}", "", f"Command: `{command}`", "",
            "| machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in info.items()], "",
            "Times are wall-clock seconds on a shared machine: compare ratios within a run. "
            "Fit time includes the graph; graph time is kNN + fuzzy graph (ours: "
            "`pumap_core.graph.build_graph` timed alone, then `fit` reuses it from the graph "
            "cache; umap-learn: until `_fit_embed_data` starts). Peak RSS covers fit and all "
            "transform calls of the method (absolute process RSS; Δ over the RSS when the method "
            "started). Imports happen before a method's timing and memory phase; "
            "numba compilation inside fit is counted. The Keras peer runs after all other "
            "methods on all data sets, so TensorFlow is not loaded while they are measured. "
            "Metrics: `pumap_core.metrics.evaluate` on the test rows.", ""]
    body = [dataset_markdown(r) for r in reports]
    tail = [f"- {name}: skipped — {why}" for name, why in skipped.items()]
    return "\n".join(head + body + (["Skipped:", "", *tail, ""] if tail else []))


def print_report(report: DatasetReport) -> None:
    """One data set's tables on stdout."""
    frame = results_frame(report)
    labels = {r.name: r.label for r in report.results}
    print(f"\n=== {report.split.name} ({report.split.note}; {report.seconds:.0f} s) ===")
    print(display(frame, labels).to_string())
    ratios = ratios_frame(frame)
    if not ratios.empty:
        print("\nratios (ours/peer; metrics ours − peer)")
        print(display(ratios, labels).to_string())
    print("\ntransform speed")
    print(transform_speed(report).to_string())
    for line in _trust_lines(report):
        print(line)
    curves = curve_summary(report)
    if not curves.empty:
        print(curves.to_string())
    print("\ntargets")
    for t in targets(report):
        print(f"  {'MET    ' if t.met else ('NOT MET' if t.met is False else 'n/a    ')} "
              f"{t.name}: {t.measured}")


# --------------------------------------------------------------------- files
def tidy_rows(reports: Sequence[DatasetReport]) -> pd.DataFrame:
    """All data sets' results, one row per (data set, method), for the CSV."""
    frames = []
    for report in reports:
        frame = results_frame(report).reset_index(names="method")
        frame.insert(0, "dataset", report.split.name)
        by_name = {r.name: r for r in report.results}
        frame["settings"] = [by_name[m].settings for m in frame["method"]]
        frame["notes"] = ["; ".join(by_name[m].notes) for m in frame["method"]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def curve_rows(reports: Sequence[DatasetReport]) -> pd.DataFrame:
    """All trustworthiness-over-time curves, long format."""
    frames = []
    for report in reports:
        for r in report.results:
            if r.curve is not None and not r.curve.empty:
                frames.append(r.curve.assign(dataset=report.split.name, method=r.name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_outputs(reports: Sequence[DatasetReport], markdown: str, out: Path,
                  prefix: str) -> list[Path]:
    """CSV and Markdown files under ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    paths = [out / f"{prefix}_{stamp}.csv", out / f"{prefix}_{stamp}_curves.csv",
             out / f"{prefix}_{stamp}.md", out / f"{prefix}_latest.md"]
    tidy_rows(reports).to_csv(paths[0], index=False, float_format="%.6g")
    curve_rows(reports).to_csv(paths[1], index=False, float_format="%.6g")
    for path in paths[2:]:
        path.write_text(markdown)
    return paths


# ----------------------------------------------------------------------- CLI
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


def set_threads(n: int) -> None:
    """Pin torch and numba to ``n`` threads (TensorFlow is set by its runner)."""
    import numba
    import torch

    torch.set_num_threads(n)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


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
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
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


def code_version() -> str:
    """The commit the run used, and whether pumap_core had uncommitted changes."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "pumap_core")
    return commit + (" (pumap_core has uncommitted changes)" if dirty else "")


def main(argv: Sequence[str] | None = None) -> int:
    settings, out, data_dir, limit = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    set_threads(settings.threads)
    data_dir = data_dir or default_data_dir()
    command = "python benchmarks/bench_core.py " + " ".join(argv if argv is not None
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
                split = load_split(name, data_dir, limit)
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
    paths = write_outputs(list(reports.values()), markdown, out, "core_quick" if settings.quick else "core")
    print("\nwrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
