"""The core benchmark's quick-mode pipeline on a tiny input (ours + PCA; no umap-learn, no Keras)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmarks import bench_core as bc
from benchmarks.core_report import report_markdown, write_outputs
from benchmarks.core_targets import targets
from harness.data import Split
from harness.run import (
    COLUMNS,
    METRIC_COLUMNS,
    DatasetReport,
    ratios_frame,
    results_frame,
    run_dataset,
)
from harness.runners import Ours, PCARunner, Runner
from harness.scoring import cross_validated_knn, time_to_reach


class Missing(Runner):
    """A peer that cannot run here, as umap-learn's ParametricUMAP without TensorFlow."""

    name = "keras-pumap"
    label = "missing peer"

    def unavailable(self) -> str | None:
        return "not installed"


@pytest.fixture(scope="module")
def report(small_digits) -> DatasetReport:
    X, y = small_digits
    split = Split("digits", X, y, X, y, same_rows=True, note="tiny")
    runners = [Ours(n_epochs=3, snapshot_interval=0.0), PCARunner(), Missing()]
    return run_dataset(split, runners, warm_repeats=1, log=lambda *_: None)


def test_table_has_one_row_per_method_and_every_column(report):
    frame = results_frame(report)
    assert list(frame.index) == ["ours", "pca", "keras-pumap"]
    assert list(frame.columns) == COLUMNS
    assert list(frame["status"]) == ["ok", "ok", "not installed"]
    ok = frame.loc[["ours", "pca"]]
    for col in ["fit_s", "transform_s", "peak_rss_mb", *METRIC_COLUMNS]:
        assert ok[col].notna().all(), col
    assert frame.loc["ours", "graph_s"] < frame.loc["ours", "fit_s"]  # fit includes the graph
    assert math.isnan(frame.loc["pca", "graph_s"])
    assert frame.loc[["ours", "pca"], "trustworthiness"].between(0.5, 1.0).all()
    assert frame.loc["keras-pumap", METRIC_COLUMNS].isna().all()


def test_ratios_targets_and_curve(report):
    ratios = ratios_frame(results_frame(report))
    assert list(ratios.index) == ["pca"]  # a peer that did not run has no ratio
    assert "fit_s ours/peer" in ratios.columns and "trustworthiness ours−peer" in ratios.columns
    curve = report.result("ours").curve
    assert len(curve) >= 2 and curve["seconds"].is_monotonic_increasing
    assert time_to_reach(curve, -1.0) == curve["seconds"].iloc[0]
    assert math.isnan(time_to_reach(curve, 2.0))
    names = [t.name for t in targets(report)]
    assert len(names) == 8 and any("4 GB" in n for n in names)


def test_outputs(report, tmp_path):
    info = {"date": "2026-01-01 00:00 UTC", "cpu": "test"}
    md = report_markdown([report], info, "python -m benchmarks.bench_core --quick", {})
    assert "### digits" in md and "| trustworthiness |" in md and "not installed" in md
    paths = write_outputs([report], md, tmp_path, "core_quick")
    table = pd.read_csv(paths[0])
    assert list(table.columns[:3]) == ["dataset", "method", "status"]
    assert set(COLUMNS) <= set(table.columns) and len(table) == 3
    assert (tmp_path / "core_quick_latest.md").read_text() == md


def test_quick_arguments():
    settings, *_ = bc.parse_args(["--quick"])
    assert settings.datasets == ["digits"] and "keras-pumap" not in settings.methods
    runners = bc.make_runners(settings, 1797)
    assert [r.name for r in runners] == ["ours", "pca", "umap"]
    assert runners[0].n_epochs is not None  # few epochs
    with pytest.raises(SystemExit):
        bc.parse_args(["--datasets", "nope"])


def test_cross_validated_knn_scores_held_out_points():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(2), 50)
    Z = rng.normal(size=(100, 2)) + 10 * y[:, None]
    assert cross_validated_knn(Z, y)["knn_accuracy_1"] == 1.0
    assert cross_validated_knn(rng.normal(size=(100, 2)), y)["knn_accuracy_1"] < 0.8
