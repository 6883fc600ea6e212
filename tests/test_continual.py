"""Continued training: ``partial_fit`` on old and new rows holds the old map with the
landmark term, lets new rows form their own clusters, grows the classifier head, and the
model file keeps the classes, the labels and the landmark settings."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from pumap_core import ParametricUMAP
from pumap_core.eval.displacement import map_neighbour_distance, median_displacement
from pumap_core.eval.metrics import knn_accuracy
from pumap_core.nets.classifier import ClassifierHead

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def old_and_new(digits):
    """Digits 0–4 (fitted first) and 5–9 (added), each split into training and held-out rows."""
    X, y = digits
    rng = np.random.default_rng(0)
    held = rng.random(len(X)) < 0.2
    old, new = y < 5, y >= 5
    return {"X_old": X[old & ~held], "y_old": y[old & ~held], "X_new": X[new & ~held],
            "y_new": y[new & ~held], "X_test": X[held], "y_test": y[held]}


def _old_fit(d) -> ParametricUMAP:
    return ParametricUMAP(n_epochs=15, random_state=0).fit(d["X_old"])


@pytest.fixture(scope="module")
def continued(old_and_new):
    """The old fit, then partial_fit on old + new rows with and without the landmark term."""
    d = old_and_new
    X_all = np.vstack([d["X_old"], d["X_new"]])
    out = {}
    for name, weight in (("held", 0.1), ("free", 0.0)):
        model = _old_fit(d)
        before = model.embedding_.copy()
        model.set_params(landmark_weight=weight)
        out[name] = (before, model.partial_fit(X_all))
    return out


def test_the_landmark_term_holds_the_old_map(continued, old_and_new):
    n_old = len(old_and_new["X_old"])
    (before, held), (before_free, free) = continued["held"], continued["free"]
    moved_held = median_displacement(before, held.embedding_[:n_old])
    moved_free = median_displacement(before_free, free.embedding_[:n_old])
    assert moved_held < 1.0  # the old rows stayed among their old neighbours
    assert moved_free > 3 * moved_held  # without the term they wander
    assert held.n_landmarks_ == n_old and free.n_landmarks_ == n_old
    assert held.landmark_scale_ == pytest.approx(map_neighbour_distance(before))
    assert held.landmark_displacement_ == pytest.approx(moved_held)
    assert "landmark" in held.loss_history_[-1] and "landmark" not in free.loss_history_[-1]
    assert held.loss_history_[-1]["stage"] == "continued"


def test_new_rows_form_their_own_clusters(continued, old_and_new):
    d = old_and_new
    _, model = continued["held"]
    y_all = np.concatenate([d["y_old"], d["y_new"]])
    assert model.graph_.n_vertices == len(y_all)  # the graph covers old and new rows
    new = d["y_test"] >= 5
    Z_test = model.transform(d["X_test"])
    assert knn_accuracy(model.embedding_, y_all, Z_test[new], d["y_test"][new], k=1) > 0.85
    assert knn_accuracy(model.embedding_, y_all, Z_test[~new], d["y_test"][~new], k=1) > 0.85


def test_given_positions_are_where_rows_are_held(old_and_new):
    """umap-learn's landmark_positions: NaN rows free, the others pulled to theirs."""
    d = old_and_new
    model = _old_fit(d)
    n_old = len(d["X_old"])
    positions = np.full((n_old + len(d["X_new"]), 2), np.nan, np.float32)
    target = model.embedding_ + np.float32(8.0)  # the whole old map, shifted
    positions[:n_old] = target
    model.set_params(n_epochs=10, landmark_weight=5.0)
    model.partial_fit(np.vstack([d["X_old"], d["X_new"]]), landmarks=positions)
    assert model.n_landmarks_ == n_old
    assert np.abs(model.embedding_[:n_old].mean(0) - target.mean(0)).max() < 1.0
    assert median_displacement(target, model.embedding_[:n_old], align=False) < 2.0


def test_the_same_rows_keep_their_graph_and_new_labels_grow_the_head(digits):
    X, y = digits[0][:500], digits[1][:500]
    first = np.where(y < 2, y, -1)
    model = ParametricUMAP(n_epochs=5, random_state=0, classifier_input="latent").fit(X, first)
    graph, head = model.graph_, model.classifier_
    assert list(model.classes_) == [0, 1] and head.n_classes == 2
    more = np.where(y < 3, y, -1)
    model.set_params(n_epochs=5)
    model.partial_fit(X, more)
    assert model.graph_ is graph  # the rows fitted before: no new search
    assert list(model.classes_) == [0, 1, 2] and model.classifier_.n_classes == 3
    proba = model.predict_proba(X)
    assert proba.shape == (500, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert np.mean(model.predict(X[y < 3]) == y[y < 3]) > 0.9
    confidence = model.confidence(X)
    assert np.all((confidence >= 1 / 3 - 1e-6) & (confidence <= 1 + 1e-6))
    np.testing.assert_array_equal(model.training_labels_, more)


def test_a_grown_head_keeps_what_it_learned():
    head = ClassifierHead(4, 2)
    grown = head.with_classes(5)
    assert grown.n_classes == 5 and head.with_classes(2) is head
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    import torch

    with torch.no_grad():
        before, after = head(torch.from_numpy(x)), grown(torch.from_numpy(x))
    np.testing.assert_allclose(after[:, :2].numpy(), before.numpy(), rtol=1e-5, atol=1e-6)


def test_partial_fit_checks_what_it_is_given(old_and_new):
    d = old_and_new
    fresh = ParametricUMAP(n_epochs=2, random_state=0)
    with pytest.raises(ValueError, match="not fitted yet"):
        fresh.partial_fit(d["X_old"], landmarks=np.zeros((len(d["X_old"]), 2)))
    model = fresh.partial_fit(d["X_old"])  # unfitted: partial_fit is fit
    assert model.n_landmarks_ == 0 and model.embedding_.shape == (len(d["X_old"]), 2)
    with pytest.raises(ValueError, match="X has 63 features"):
        model.partial_fit(d["X_old"][:, :-1])
    with pytest.raises(ValueError, match=r"landmarks has shape \(3, 2\)"):
        model.partial_fit(d["X_old"], landmarks=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="landmarks must be 'auto'"):
        model.partial_fit(d["X_old"], landmarks="old")
    with pytest.warns(UserWarning, match="does not begin with the"):
        model.partial_fit(d["X_new"])  # other rows: nothing to hold
    assert model.n_landmarks_ == 0 and model.landmark_displacement_ is None


def test_classes_labels_and_landmark_settings_are_saved(continued, old_and_new, tmp_path):
    d = old_and_new
    _, model = continued["held"]
    labelled = np.full(len(model.embedding_), -1)
    labelled[:40] = np.concatenate([d["y_old"], d["y_new"]])[:40]
    model.set_params(n_epochs=2, landmark_weight=2.5)
    model.partial_fit(np.vstack([d["X_old"], d["X_new"]]), labelled)
    model.class_names_ = [f"digit {c}" for c in range(9)] + [None]  # named by a person
    model.save(tmp_path / "continued.pumap")
    loaded = ParametricUMAP.load(tmp_path / "continued.pumap", device="cpu")
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    np.testing.assert_array_equal(loaded.training_labels_, labelled)
    assert loaded.class_names_ == model.class_names_
    assert loaded.get_params()["landmark_weight"] == 2.5 and loaded.landmark_weight_ == 2.5
    for name in ("n_landmarks_", "landmark_scale_", "landmark_displacement_"):
        assert getattr(loaded, name) == getattr(model, name), name
    np.testing.assert_array_equal(loaded.predict_proba(d["X_test"]),
                                  model.predict_proba(d["X_test"]))


def test_old_model_files_load_without_landmarks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ParametricUMAP.load(DATA / "v1_digits.pumap", device="cpu")
    assert model.landmark_weight_ == 0.0 and model.n_landmarks_ == 0
    assert model.landmark_scale_ is None and model.training_labels_ is None


def test_a_frozen_copy_predicts_from_another_thread_while_training_goes_on(digits):
    """The copy taken in the callback keeps the networks of that step; the model trains on."""
    X, y = digits[0][:600], digits[1][:600]
    labels = np.where(np.arange(600) % 10 == 0, y, -1)
    model = ParametricUMAP(n_epochs=8, random_state=0, classifier_input="latent")
    taken = {}

    def callback(snap):
        if "copy" not in taken and snap.step > 1:
            taken["copy"], taken["embedding"] = model.frozen_copy(), snap.embedding

    model.fit(X, labels, callback=callback, snapshot_embedding="all", snapshot_interval=0.0)
    copy = taken["copy"]
    results = {}
    worker = threading.Thread(target=lambda: results.update(
        z=copy.transform(X), proba=copy.predict_proba(X), confidence=copy.confidence(X)))
    worker.start()
    worker.join()
    np.testing.assert_allclose(results["z"], taken["embedding"], rtol=1e-5, atol=1e-5)
    assert not np.allclose(model.transform(X), results["z"], atol=1e-3)  # it trained on
    assert results["proba"].shape == (600, 10) and results["confidence"].shape == (600,)
    assert copy.encoder_ is not model.encoder_ and copy.classifier_ is not model.classifier_
