"""experiments/embedding_quality.py at a tiny size: one row per method and dimension,
metrics in range, the figure, the paper's numbers beside MNIST 2-D, and the
dimension really used (PCA keeps more neighbours in 8 dimensions than in 2).

umap-learn compiles for ~30 s in a fresh process, so its path is a slow test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments import embedding_quality

TINY = ["--threads", "1", "--n-train", "300", "--n-test", "100", "--datasets", "mnist"]
FASHION = Path("/usr/share/datasets/fashion-mnist")


def run(tmp_path: Path, data_dir: Path, *args: str) -> pd.DataFrame:
    embedding_quality.main([*TINY, "--data-dir", str(data_dir), "--out", str(tmp_path), *args])
    return pd.read_csv(tmp_path / "embedding_quality.csv")


def check_ranges(results: pd.DataFrame) -> None:
    for column in ("trustworthiness", "kmeans_nmi", "knn_accuracy_1", "knn_accuracy_5"):
        assert results[column].between(0, 1).all(), column
    for column in ("silhouette", "distance_correlation_pearson", "distance_correlation_spearman"):
        assert results[column].between(-1, 1).all(), column
    assert (results.fit_s >= 0).all()


def test_tables_figure_and_dimensions(shared_data_dir, tmp_path):
    results = run(tmp_path, shared_data_dir, "--dims", "2", "8", "--epochs", "10",
                  "--methods", "ours", "ours-ae", "pca")
    assert sorted(zip(results.dim, results.method, strict=True)) == sorted(
        (d, m) for d in (2, 8) for m in ("ours", "ours + AE", "PCA"))
    check_ranges(results)
    pca = results[results.method == "PCA"].set_index("dim")
    assert pca.trustworthiness[8] > pca.trustworthiness[2]
    # ten epochs on 300 digits already put held-out digits among their own class
    ours = results[(results.method == "ours") & (results.dim == 2)].iloc[0]
    assert ours.knn_accuracy_5 > 0.3  # chance: ~0.1
    tables = (tmp_path / "embedding_quality_tables.md").read_text()
    assert "paper: P-UMAP + AE" in tables and "0.9573" in tables and "SUBSAMPLED" in tables
    assert (tmp_path / "embedding_quality_mnist.png").stat().st_size > 10_000


@pytest.mark.skipif(not FASHION.is_dir(), reason=f"Fashion-MNIST not found at {FASHION}")
def test_fashion_mnist_has_no_paper_rows(shared_data_dir, tmp_path):
    results = run(tmp_path, shared_data_dir, "--datasets", "fashion-mnist", "--dims", "2",
                  "--methods", "pca")
    assert results.dataset.tolist() == ["fashion-mnist"]
    check_ranges(results)
    assert "P-UMAP" not in (tmp_path / "embedding_quality_tables.md").read_text()
    assert (tmp_path / "embedding_quality_fashion-mnist.png").exists()


@pytest.mark.slow
def test_umap_learn_separates_classes_better_than_pca(shared_data_dir, tmp_path):
    results = run(tmp_path, shared_data_dir, "--dims", "2", "--methods", "umap", "pca")
    check_ranges(results)
    accuracy = results.set_index("method").knn_accuracy_1
    assert accuracy["umap-learn UMAP"] > accuracy["PCA"] + 0.1
