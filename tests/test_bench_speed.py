"""benchmarks/speed.py at a tiny size: objective curves, timing tables, the figure.

The fast test leaves umap-learn out (it compiles for ~30 s in a fresh process); the
slow test runs it and checks its epoch-timed intermediate embeddings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import speed

TINY = ["--threads", "1", "--n-train", "400", "--n-new", "100", "--epochs", "4",
        "--snapshot-interval", "0.05", "--repeats", "1", "--warm-up-rows", "100",
        "--objective-pairs", "100000"]


def run(tmp_path: Path, data_dir: Path, *args: str) -> dict[str, pd.DataFrame]:
    return speed.main([*TINY, "--data-dir", str(data_dir), "--out", str(tmp_path), *args])


def check_curve(curve: pd.DataFrame) -> None:
    assert len(curve) >= 2
    assert np.all(np.diff(curve.seconds) > 0) and np.all(np.diff(curve.epoch) > 0)
    assert np.isfinite(curve.objective).all() and (curve.objective > 0).all()
    assert np.allclose(curve.objective, curve.attraction + curve.repulsion)
    assert np.isfinite(curve.sampled_loss).all() and (curve.sampled_loss > 0).all()


def test_ours_and_pca(shared_data_dir, tmp_path):
    out = run(tmp_path, shared_data_dir, "--no-umap")
    curves = pd.read_csv(tmp_path / "speed_curves.csv")
    assert set(curves.method) == {"ours"}
    check_curve(curves)
    # training lowers the loss negative sampling minimises; eq. 2.8 need not fall below
    # the spectral warm start's value (the first snapshot), which it already scores well
    assert curves.sampled_loss.iloc[-1] < curves.sampled_loss.iloc[0]
    assert np.isfinite(curves.objective).all() and (curves.objective > 0).all()
    summary = out["summary"].loc["ours"]
    assert 0 < summary.graph_s < summary.fit_s
    assert summary["objective on our graph"] == pytest.approx(summary.objective_sampled, rel=0.05)
    timings = pd.read_csv(tmp_path / "speed_embed.csv")
    assert sorted(zip(timings.operation, timings.method, strict=True)) == [
        ("inverse_transform", "PCA"), ("inverse_transform", "ours"),
        ("transform", "PCA"), ("transform", "ours")]
    assert (timings.s_per_1000 > 0).all()
    assert np.allclose(timings[timings.method == "PCA"].x_pca, 1.0)
    assert (tmp_path / "speed_objective.png").stat().st_size > 10_000
    assert "indicative only" in (tmp_path / "speed_tables.md").read_text()


def test_umap_snapshot_epochs():
    kept = speed.snapshot_epochs(500, 30)
    assert kept[0] >= 1 and kept[-1] == 500 and 20 <= len(kept) <= 30
    assert np.all(np.diff(kept) > 0)
    assert speed.umap_default_epochs(10_000) == 500 and speed.umap_default_epochs(10_001) == 200


@pytest.mark.slow
def test_umap_learn_curve_and_timings(shared_data_dir, tmp_path):
    import umap.layouts

    original = umap.layouts.tqdm
    out = run(tmp_path, shared_data_dir, "--umap-snapshots", "6", "--umap-decodes", "10")
    assert umap.layouts.tqdm is original  # the epoch clock was taken off again
    curves = pd.read_csv(tmp_path / "speed_curves.csv")
    umap_curve = curves[curves.method == "umap-learn UMAP"]
    check_curve(umap_curve)
    assert umap_curve.epoch.tolist() == speed.snapshot_epochs(500, 6)
    summary = out["summary"]
    assert np.isfinite(summary["objective on umap-learn's graph"]).all()
    timings = out["timings"].set_index(["operation", "method"]).s_per_1000
    assert timings["inverse_transform", "umap-learn UMAP"] > 100 * timings[
        "inverse_transform", "ours"]
