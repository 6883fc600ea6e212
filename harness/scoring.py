"""Scores of an embedding, all from :mod:`pumap_core.eval.metrics`, as each comparison needs them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from harness.data import Split
from harness.runners import Fitted


def cross_validated_knn(Z: np.ndarray, y: np.ndarray, ks: Sequence[int] = (1, 5),
                        folds: int = 5) -> dict[str, float]:
    """k-NN accuracy on an embedding of all points: mean over stratified folds
    (for data sets without held-out rows, fitted and scored on the same rows)."""
    from sklearn.model_selection import StratifiedKFold

    from pumap_core.eval.metrics import knn_accuracy

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    scores: dict[str, list[float]] = {f"knn_accuracy_{k}": [] for k in ks}
    for tr, te in splitter.split(Z, y):
        for k in ks:
            scores[f"knn_accuracy_{k}"].append(knn_accuracy(Z[tr], y[tr], Z[te], y[te], k))
    return {key: float(np.mean(vals)) for key, vals in scores.items()}


def score(split: Split, Z_train: np.ndarray, Z_test: np.ndarray,
          seed: int = 0) -> dict[str, float]:
    """Every metric of ``pumap_core.eval.metrics.evaluate`` on the held-out rows (kNN
    classifiers fitted on the training embedding; cross-validated when the
    held-out rows are the training rows)."""
    from pumap_core.eval.metrics import evaluate

    if split.same_rows:
        out = evaluate(split.X_test, Z_test, split.y_test, random_state=seed)
        out.update(cross_validated_knn(Z_test, split.y_test))
        return out
    return evaluate(split.X_test, Z_test, split.y_test, Z_train, split.y_train,
                    random_state=seed)


def held_out_metrics(split: Split, Z_train: np.ndarray, Z_test: np.ndarray,
                     distance_sample: int = 2000, seed: int = 0) -> dict[str, float]:
    """Global and local structure of the held-out embedding ``Z_test``.

    Distance correlations compare raw-pixel and embedding distances of a random
    ``distance_sample`` test rows (the same rows for every method: same seed);
    1-NN accuracy classifies test rows by their nearest training embedding.
    """
    from pumap_core.eval import metrics

    X, y = split.X_test, split.y_test
    return {
        "distance_corr_pearson": metrics.distance_correlation(X, Z_test, distance_sample,
                                                              "pearson", seed),
        "distance_corr_spearman": metrics.distance_correlation(X, Z_test, distance_sample,
                                                               "spearman", seed),
        "trustworthiness": metrics.trustworthiness(X, Z_test, k=5),
        "silhouette": metrics.silhouette(Z_test, y),
        "knn_accuracy_1": metrics.knn_accuracy(Z_train, split.y_train, Z_test, y, k=1),
    }


def trust_curve(X_train: np.ndarray, fitted: Fitted) -> pd.DataFrame:
    """Trustworthiness (k=5) of each training snapshot on its subsample, over time."""
    from pumap_core.eval.metrics import trustworthiness

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
