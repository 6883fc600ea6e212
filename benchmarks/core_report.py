"""The core benchmark's tables: on stdout, as Markdown and as CSV files.

Times are shown in ms or s, memory in MB, ratios ours/peer with ×, metric
differences ours − peer with a sign; methods are columns, quantities rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from benchmarks.core_targets import targets, trust_lines
from harness.report import markdown_table
from harness.run import DatasetReport, ratios_frame, results_frame


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
    parts += ["", *trust_lines(report)]
    curves = curve_summary(report)
    if not curves.empty:
        parts += ["", markdown_table(curves, "trustworthiness over time")]
    parts += ["", "Targets:", ""]
    parts += [f"- {'MET' if t.met else ('not met' if t.met is False else 'n/a')}: {t.name} — "
              f"{t.measured}" for t in targets(report)]
    notes = [f"{r.label}: {r.settings}" + (f"; {'; '.join(r.notes)}" if r.notes else "")
             for r in report.results]
    parts += ["", "Settings: " + " | ".join(notes), ""]
    return "\n".join(parts)


def report_markdown(reports: Sequence[DatasetReport], info: dict[str, str], command: str,
                    skipped: dict[str, str]) -> str:
    """The whole Markdown report."""
    head = [f"## Core benchmark — {info['date']}", "", f"Command: `{command}`", "",
            "| machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in info.items()], "",
            "Times are wall-clock seconds on a shared machine: compare ratios within a run. "
            "Fit time includes the graph; graph time is kNN + fuzzy graph (ours: "
            "`pumap_core.graph.build_graph` timed alone, then passed to `fit(X, graph=...)`; "
            "umap-learn: until `_fit_embed_data` starts). Peak RSS covers fit and all "
            "transform calls of the method (absolute process RSS; Δ over the RSS when the method "
            "started). Imports happen before a method's timing and memory phase; "
            "numba compilation inside fit is counted. The Keras peer runs after all other "
            "methods on all data sets, so TensorFlow is not loaded while they are measured. "
            "Metrics: `pumap_core.eval.metrics.evaluate` on the test rows.", ""]
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
    for line in trust_lines(report):
        print(line)
    curves = curve_summary(report)
    if not curves.empty:
        print(curves.to_string())
    print("\ntargets")
    for t in targets(report):
        print(f"  {'MET    ' if t.met else ('NOT MET' if t.met is False else 'n/a    ')} "
              f"{t.name}: {t.measured}")


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
