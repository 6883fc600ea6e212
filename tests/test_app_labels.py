"""Labelling in the app without a browser: label, undo, rename, delete, live predictions,
export, labels kept over Restart and in model files, new rows taken into training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.label_set import LabelError, LabelSet
from app.state_labels import PREDICTED
from tests.app_support import finished_run, poll_until

pytestmark = pytest.mark.timeout(240)


def test_label_set_assign_rename_delete_and_undo():
    labels = LabelSet.empty(6)
    labels.assign([0, 1], "cat")
    labels.assign([2], "dog")
    labels.assign([1], "dog")  # relabelled
    assert labels.counts() == {"cat": 1, "dog": 2}
    labels.rename("dog", "hound")
    assert labels.classes == ["cat", "hound"] and labels.code_of("hound") == 1
    labels.delete("cat")
    assert labels.classes == ["hound"] and list(labels.codes) == [-1, 1, 1, -1, -1, -1]
    labels.assign([5], "bird")  # a new class gets a new code: the head keeps its outputs
    assert labels.code_of("bird") == 2
    for expected in (["hound"], ["cat", "hound"], ["cat", "dog"]):
        labels.undo()
        assert labels.classes == expected
    assert labels.counts() == {"cat": 1, "dog": 2}
    with pytest.raises(LabelError, match="exists already"):
        labels.rename("cat", "dog")
    with pytest.raises(LabelError, match="type a class name"):
        labels.assign([3], " ")
    with pytest.raises(LabelError, match="select points first"):
        labels.assign([], "cat")


def test_label_set_from_a_model_file_names_every_code():
    labels = LabelSet.of(np.array([0, 2, -1]), ["zero", None])
    assert labels.names == ["zero", None, "2"] and labels.classes == ["zero", "2"]
    assert list(labels.name_array(labels.codes)) == ["zero", "2", ""]


def clusters(state, data, k: int = 2) -> list[np.ndarray]:
    """The rows of the first ``k`` digit classes: what a person boxes around clusters."""
    return [np.flatnonzero(data.labels == c)[:12] for c in range(k)]


def label_two(state, data, names=("zero", "one")) -> None:
    """Select twelve 0s and name them, then twelve 1s, as a person does."""
    for name, rows in zip(names, clusters(state, data), strict=True):
        state.selection = rows
        assert state.label_selection(name), state.error


def settled(state) -> None:
    """Training has finished and the page shows its final model's predictions."""
    assert state.worker.wait(120)
    poll_until(state, lambda: state.phase in ("done", "stopped")
               and state.prediction_monitor.shown(state.worker.predictor))


@pytest.fixture
def mapped(state):
    """A finished short run: the map a person labels."""
    return finished_run(state, n_epochs=20, random_state=0, reconstruction=False)


def test_labels_before_training_wait_for_train(state, data):
    rows = clusters(state, data)
    state.selection = rows[0]
    assert state.label_selection("zero")
    assert state.labels.counts() == {"zero": 12} and state.worker.model is None
    assert "Press Train" in state.notice
    state.param.update(n_epochs=10, random_state=0, reconstruction=False)
    state.train(wait=True)  # the labels train the head from the start
    poll_until(state, lambda: state.predictions is not None)
    assert state.worker.model.classes_.tolist() == [0]


def test_labelled_selections_train_the_head_live_and_colour_the_map(mapped, data):
    state = mapped
    zero, one = clusters(state, data)
    state.selection = zero
    assert state.label_selection("zero")
    state.selection = one
    state.label_name = "one"
    assert state.label_selection()
    assert state.phase == "training"  # labels continue the run, the map held
    poll_until(state, lambda: state.predictions is not None
               and set(state.predictions.classes) == {0, 1})
    assert state.color_by == PREDICTED and "your labels" in state.param.color_by.objects
    settled(state)
    pred = state.predictions
    truth = data.labels
    for code, rows in ((0, np.flatnonzero(truth == 0)), (1, np.flatnonzero(truth == 1))):
        assert np.mean(pred.predicted[rows] == code) > 0.8  # the unlabelled rows too
    assert np.all((pred.confidence >= 0.5) & (pred.confidence <= 1.0))
    assert state.moved is not None and state.moved < 1.0  # the map held


def test_undo_and_delete_retrain_without_the_labels(mapped, data):
    state = mapped
    label_two(state, data)
    assert state.undo_label()
    assert state.labels.counts() == {"zero": 12}
    assert "Undone" in state.notice
    poll_until(state, lambda: state.worker.model.training_labels_ is not None
               and (state.worker.model.training_labels_ >= 0).sum() == 12)
    assert state.delete_class("zero") and state.labels.n_labelled == 0
    assert state.rename_class("zero", "nil") is False and "no class named" in state.error
    assert state.undo_label() and state.labels.counts() == {"zero": 12}


def test_export_holds_labels_predictions_and_confidence(mapped, data):
    state = mapped
    label_two(state, data)
    settled(state)
    csv = pd.read_csv(state.export_labels("csv"))
    parquet = pd.read_parquet(state.export_labels("parquet"))
    for table in (csv, parquet):
        assert len(table) == data.n_samples
        assert set(table.columns) >= {"row", "label", "predicted", "confidence", "p(zero)",
                                      "p(one)"}
        assert (table["label"] == "zero").sum() == 12 and (table["label"] == "one").sum() == 12
        assert set(table["predicted"]) == {"zero", "one"}
        np.testing.assert_allclose(table["p(zero)"] + table["p(one)"], 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="csv or parquet"):
        state.export_labels("xlsx")


def test_labels_survive_reset_and_travel_in_the_model_file(mapped, data):
    state = mapped
    label_two(state, data)
    state.rename_class("one", "uno")
    settled(state)
    saved = state.model_bytes()
    state.reset()
    assert state.labels.counts() == {"zero": 12, "uno": 12}  # Restart keeps them
    state.labels = LabelSet.empty(data.n_samples)
    assert state.load_model_bytes(saved, "labelled.pumap"), state.error
    assert state.labels.counts() == {"zero": 12, "uno": 12}
    poll_until(state, lambda: state.predictions is not None)


def test_new_rows_join_training_while_the_old_map_stays(data):
    from app.added import embed_rows
    from pumap_core.data import load_digits
    from pumap_core.eval.metrics import knn_accuracy
    from tests.app_support import open_state

    digits = load_digits()
    old = digits.subset(np.flatnonzero(digits.labels < 5)[:300])
    new = digits.subset(np.flatnonzero(digits.labels >= 5)[:300])
    with open_state(old, n_epochs=30, random_state=0, reconstruction=False) as state:
        state.train(wait=True)
        state.poll()
        state.worker._new_rows = new  # as "Place on the map" leaves them
        state.worker.added = embed_rows(state.worker.model, new)
        state.poll()
        assert state.added is not None
        state.landmark_weight = 1.0
        assert state.train_with_added(wait=True), state.error
        poll_until(state, lambda: state.phase == "done" and state.frame is not None
                   and len(state.frame.train_z) == 600)
        assert state.dataset.n_samples == 600 and state.added is None
        assert state.labels.n_rows == 600
        assert state.moved is not None and state.moved <= 1.0, state.moved
        z = state.frame.train_z
        y = state.dataset.labels
        half = np.arange(600) % 2 == 0
        new_rows = y >= 5
        # the new classes form clusters of their own: held-out 1-NN within them
        assert knn_accuracy(z[half], y[half], z[~half & new_rows], y[~half & new_rows]) > 0.8


def test_suggestions_are_unlabelled_rows(mapped, data):
    state = mapped
    state.selection = clusters(state, data)[0]
    state.label_selection("zero")
    rows = state.suggest(5)
    assert len(rows) == 5 and len(set(rows.tolist())) == 5
    assert np.all(state.labels.codes[rows] == -1)


def test_views_read_predictions_made_before_an_undo():
    """Predictions of a class that an undo removed (the retrained model is not there yet)
    are shown by the class's number, not an error."""
    from app.decode import Click
    from app.predictions import Predictions
    from app.views.labels import classes_html, probabilities_html, suggestions_html

    labels = LabelSet.empty(4)
    labels.assign([0], "zero")
    labels.assign([1], "one")
    stale = Predictions(np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.4, 0.6]]),
                        np.array([0, 1]))
    labels.undo()
    click = Click(x=0.0, y=0.0, z=np.zeros(2), nearest=1)
    text = probabilities_html(click, stale, labels)
    assert "zero" in text and ">1<" not in text and "80.0%" in text
    assert "zero" in classes_html(labels, stale) and "one" not in classes_html(labels, stale)
    assert "row-no" not in suggestions_html(None, labels, stale, np.array([2]))
    assert list(labels.table(stale.predicted, stale.confidence, stale.proba,
                             stale.classes).columns[-2:]) == ["p(zero)", "p(1)"]
