"""The "label next" ranking: unlabelled clusters first, then the classifier's doubts where
many rows share them, spread over the map; the margin and random strategies as named."""

from __future__ import annotations

import numpy as np
import pytest

from pumap_core.labelling import label_next, margins

CENTRES = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0], [20.0, 20.0]])


def _blobs(per_blob: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Z = np.concatenate([c + rng.normal(size=(per_blob, 2)) for c in CENTRES])
    return Z, np.repeat(np.arange(4), per_blob)


def _confident(blob: np.ndarray, predicted: np.ndarray | None = None) -> np.ndarray:
    """Probabilities that say each row's predicted class (its blob by default) at .97."""
    predicted = blob if predicted is None else predicted
    proba = np.full((len(blob), 4), 0.01)
    proba[np.arange(len(blob)), predicted] = 0.97
    return proba


def test_margins_are_the_gap_between_the_two_likeliest_classes():
    proba = np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [0.1, 0.3, 0.6]])
    np.testing.assert_allclose(margins(proba), [0.5, 0.0, 0.3])
    np.testing.assert_allclose(margins(np.ones((2, 1))), [1.0, 1.0])


def test_clusters_nobody_labelled_come_first_even_when_the_classifier_is_sure():
    Z, blob = _blobs()
    labels = np.full(len(Z), -1)
    labels[[0, 1, 300, 301]] = [0, 0, 1, 1]  # blobs 0 and 1 labelled
    # the classifier extrapolates: blobs 2 and 3 confidently predicted as 0 and 1
    proba = _confident(blob, np.where(blob >= 2, blob - 2, blob))
    picks = label_next(Z, labels, proba, n=2, reach=0.25)  # a label speaks for its blob
    assert sorted(blob[picks]) == [2, 3]  # one in each unlabelled blob
    # the margin alone sees no doubt anywhere: it cannot find them
    assert not set(blob[label_next(Z, labels, proba, n=20, strategy="margin")]) & {2, 3}


def test_doubt_where_many_rows_share_it_beats_an_outliers_doubt():
    Z, blob = _blobs()
    labels = np.where(np.arange(len(Z)) % 100 == 0, blob, -1)  # every blob labelled
    proba = _confident(blob)
    crowd = np.flatnonzero(blob == 3)[:150]  # half of blob 3 in doubt between 3 and 2
    proba[crowd] = [0.01, 0.01, 0.48, 0.50]
    outlier = len(Z)
    Z = np.vstack([Z, [[60.0, -40.0]]])  # far from everything, and in equal doubt
    labels, blob = np.append(labels, -1), np.append(blob, 0)
    proba = np.vstack([proba, [[0.01, 0.01, 0.48, 0.50]]])
    picks = label_next(Z, labels, proba, n=3, reach=0.25)
    assert picks[0] in crowd and outlier not in picks
    # the margin alone ranks the outlier with the crowd: it cannot tell them apart
    assert outlier in label_next(Z, labels, proba, n=151, strategy="margin")


def test_a_list_spreads_over_the_map_and_skips_labelled_rows():
    Z, blob = _blobs()
    labels = np.full(len(Z), -1)
    labels[::7] = blob[::7]
    picks = label_next(Z, labels, None, n=8)  # no classifier yet: density and coverage
    assert np.all(labels[picks] == -1) and len(set(picks)) == 8
    nearest = np.min([np.linalg.norm(Z[picks] - Z[p], axis=1)[np.arange(8) != i]
                      for i, p in enumerate(picks)], axis=1)
    assert nearest.min() > 0.5  # no two picks side by side
    # where a label speaks for a whole blob, four picks go to four blobs
    unlabelled = np.full(len(Z), -1)
    assert set(blob[label_next(Z, unlabelled, None, n=4, reach=0.25)]) == {0, 1, 2, 3}


def test_strategies_and_bad_input():
    Z, blob = _blobs(50)
    labels = np.full(len(Z), -1)
    labels[:190] = blob[:190]
    random = label_next(Z, labels, None, n=10, strategy="random")
    assert np.all(labels[random] == -1) and len(set(random)) == 10
    assert len(label_next(Z, labels, None, n=100)) == 10  # only ten are unlabelled
    with pytest.raises(ValueError, match="strategy must be one of"):
        label_next(Z, labels, strategy="entropy")
    with pytest.raises(ValueError, match="labels has shape"):
        label_next(Z, labels[:5])
    with pytest.raises(ValueError, match="proba has 3 rows"):
        label_next(Z, labels, np.ones((3, 4)))
