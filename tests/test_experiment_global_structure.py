"""experiments/global_structure.py end to end on a few hundred MNIST digits, in seconds.

The behavioural check: the global-structure term must raise the held-out
Pearson distance correlation. At 600/300 rows and 3 epochs the gain from
weight 0 to 1 measured 0.05-0.08 on seeds 0-5 (never below 0.05), so a
margin of 0.02 is safe.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import global_structure


def test_global_structure_tiny(shared_data_dir, tmp_path):
    table = global_structure.main([
        "--data-dir", str(shared_data_dir), "--out", str(tmp_path), "--threads", "1",
        "--n-train", "600", "--n-test", "300", "--epochs", "3", "--weights", "0", "1"])

    saved = pd.read_csv(tmp_path / "global_structure_metrics.csv", index_col="method")
    assert list(saved.index) == ["pumap weight 0", "pumap weight 1", "pca(2)"]
    pd.testing.assert_frame_equal(saved, table, check_exact=False, atol=1e-6)
    for png in ("global_structure_tradeoff.png", "global_structure_embeddings.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    md = (tmp_path / "global_structure_metrics.md").read_text()
    assert "600 of 60,000 training rows" in md and "subsample" in md

    for col in ("distance_corr_pearson", "distance_corr_spearman", "silhouette"):
        assert saved[col].between(-1, 1).all(), col
    for col in ("trustworthiness", "knn_accuracy_1"):
        assert saved[col].between(0, 1).all(), col
    assert saved["reference_pearson"].isna().all()  # weights 0, 1: none in the reference
    assert saved.loc["pumap weight 1", "weight_ref_units"] == pytest.approx(1 / 6)
    assert (saved.loc[["pumap weight 0", "pumap weight 1"], "epochs"] == 3).all()

    gain = saved.loc["pumap weight 1", "distance_corr_pearson"] - \
        saved.loc["pumap weight 0", "distance_corr_pearson"]
    assert gain > 0.02, f"global term raised Pearson r by only {gain:.3f}"


def test_reference_numbers_sit_at_equivalent_weights():
    """The reference's UMAP loss is 6x smaller per edge: its 0.1 and 1.0 are our 0.6 and 6."""
    assert global_structure.reference_pearson(0.6) == 0.548
    assert global_structure.reference_pearson(6.0) == 0.757
    assert np.isnan(global_structure.reference_pearson(1.0))
