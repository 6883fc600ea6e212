"""The core benchmark's quick-mode pipeline on a tiny input (ours + PCA; no umap-learn, no Keras)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmarks import bench_core as bc  # noqa: E402
from benchmarks.peers import Ours, PCARunner, Runner  # noqa: E402


class Missing(Runner):
    """A peer that cannot run here, as umap-learn's ParametricUMAP without TensorFlow."""

    name = "keras-pumap"
    label = "missing peer"

    def unavailable(self) -> str | None:
        return "not installed"


@pytest.fixture(scope="module")
def report(small_digits) -> bc.DatasetReport:
    X, y = small_digits
    split = bc.Split("digits", X, y, X, y, same_rows=True, note="tiny")
    runners = [Ours(n_epochs=3, snapshot_interval=0.0), PCARunner(), Missing()]
    return bc.run_dataset(split, runners, warm_repeats=1, log=lambda *_: None)


def test_table_has_one_row_per_method_and_every_column(report):
    frame = bc.results_frame(report)
    assert list(frame.index) == ["ours", "pca", "keras-pumap"]
    assert list(frame.columns) == bc.COLUMNS
    assert list(frame["status"]) == ["ok", "ok", "not installed"]
    ok = frame.loc[["ours", "pca"]]
    for col in ["fit_s", "transform_s", "peak_rss_mb", *bc.METRIC_COLUMNS]:
        assert ok[col].notna().all(), col
    assert frame.loc["ours", "graph_s"] < frame.loc["ours", "fit_s"]  # fit includes the graph
    assert math.isnan(frame.loc["pca", "graph_s"])
    assert frame.loc[["ours", "pca"], "trustworthiness"].between(0.5, 1.0).all()
    assert frame.loc["keras-pumap", bc.METRIC_COLUMNS].isna().all()


def test_ratios_targets_and_curve(report):
    ratios = bc.ratios_frame(bc.results_frame(report))
    assert list(ratios.index) == ["pca"]  # a peer that did not run has no ratio
    assert "fit_s ours/peer" in ratios.columns and "trustworthiness ours−peer" in ratios.columns
    curve = report.result("ours").curve
    assert len(curve) >= 2 and curve["seconds"].is_monotonic_increasing
    assert bc.time_to_reach(curve, -1.0) == curve["seconds"].iloc[0]
    assert math.isnan(bc.time_to_reach(curve, 2.0))
    names = [t.name for t in bc.targets(report)]
    assert len(names) == 8 and any("4 GB" in n for n in names)


def test_outputs(report, tmp_path):
    info = {"date": "2026-01-01 00:00 UTC", "cpu": "test"}
    md = bc.report_markdown([report], info, "python benchmarks/bench_core.py --quick", {})
    assert "### digits" in md and "| trustworthiness |" in md and "not installed" in md
    paths = bc.write_outputs([report], md, tmp_path, "core_quick")
    table = pd.read_csv(paths[0])
    assert list(table.columns[:3]) == ["dataset", "method", "status"]
    assert set(bc.COLUMNS) <= set(table.columns) and len(table) == 3
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
    assert bc.cross_validated_knn(Z, y)["knn_accuracy_1"] == 1.0
    assert bc.cross_validated_knn(rng.normal(size=(100, 2)), y)["knn_accuracy_1"] < 0.8
