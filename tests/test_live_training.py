import threading
import time

import numpy as np
import pytest

from pumap_core import ParametricUMAP, TrainingControls


def test_snapshots_report_progress_losses_and_embedding(small_digits):
    X, _ = small_digits
    snaps = []
    ParametricUMAP(n_epochs=6, random_state=0).fit(X, callback=snaps.append,
                                                   snapshot_embedding=100, snapshot_interval=0.0)
    assert snaps[0].step == 1 and snaps[-1].done
    assert all(s.embedding.shape == (100, 2) for s in snaps)
    assert "umap" in snaps[-1].losses and "total" in snaps[-1].losses
    steps = [s.step for s in snaps]
    assert steps == sorted(steps) and snaps[-1].progress == pytest.approx(1.0)


def test_live_settings_reach_the_running_loop(small_digits):
    X, _ = small_digits
    controls = TrainingControls()
    seen = []

    def on_snapshot(snap):
        seen.append((snap.settings["min_dist"], snap.extra["b"]))
        if snap.step == 1:
            controls.update(min_dist=0.8, global_correlation_weight=0.5, learning_rate=1e-4)

    ParametricUMAP(n_epochs=5, random_state=0).fit(
        X, controls=controls, callback=on_snapshot, snapshot_interval=0.0)
    assert seen[0][0] == pytest.approx(0.1)
    assert seen[-1][0] == pytest.approx(0.8) and seen[-1][1] != seen[0][1]  # new a, b


def test_pause_resume_and_stop_from_another_thread(small_digits):
    X, _ = small_digits
    controls = TrainingControls()
    steps = []
    model = ParametricUMAP(n_epochs=10_000, random_state=0)
    worker = threading.Thread(target=model.fit, args=(X,),
                              kwargs=dict(controls=controls, callback=lambda s: steps.append(s.step),
                                          snapshot_interval=0.0))
    worker.start()
    while not steps:
        time.sleep(0.01)
    controls.pause()
    time.sleep(0.3)
    paused_at = len(steps)
    time.sleep(0.3)
    assert len(steps) <= paused_at + 1 and controls.paused
    controls.resume()
    time.sleep(0.3)
    assert len(steps) > paused_at + 1
    controls.stop()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert model.embedding_.shape == (len(X), 2)  # what it learned so far is kept


def test_controls_reject_unknown_or_bad_settings():
    controls = TrainingControls()
    with pytest.raises(KeyError, match="not a live training setting"):
        controls.update(n_neighbors=5)
    with pytest.raises(ValueError, match="finite"):
        controls.update(min_dist=np.nan)


def test_out_of_range_update_is_refused_and_the_run_goes_on(small_digits):
    X, _ = small_digits
    controls = TrainingControls()
    refused = []

    def on_snapshot(snap):
        if snap.step == 1:
            for bad in ({"min_dist": 5.0}, {"learning_rate": -1.0}, {"min_dist": 1.5}):
                try:
                    controls.update(**bad)
                except ValueError as e:
                    refused.append(str(e))

    model = ParametricUMAP(n_epochs=3, random_state=0)
    model.fit(X, controls=controls, callback=on_snapshot, snapshot_interval=0.0)
    assert len(refused) == 3
    assert "between 0 and 3" in refused[0] and "learning_rate" in refused[1]
    assert "at most spread=1" in refused[2]  # min_dist beyond the running spread
    assert model.min_dist_ == 0.1 and model.loss_history_[-1]["epoch"] == pytest.approx(3)


def test_fit_keeps_the_settings_it_was_trained_with(small_digits, tmp_path):
    from pumap_core.training.curve import find_ab_params

    X, _ = small_digits
    controls = TrainingControls()

    def on_snapshot(snap):
        if snap.step == 1:
            controls.update(min_dist=0.6, global_correlation_weight=0.25, learning_rate=2e-3)

    model = ParametricUMAP(n_epochs=2, random_state=0)
    before = model.get_params()
    model.fit(X, controls=controls, callback=on_snapshot, snapshot_interval=0.0)
    assert model.get_params() == before  # the parameters stay as given (scikit-learn)
    assert (model.min_dist_, model.global_correlation_weight_, model.learning_rate_) == (
        0.6, 0.25, 2e-3)
    assert model.spread_ == 1.0 and model.umap_weight_ == 1.0
    assert (model.a_, model.b_) == find_ab_params(0.6, 1.0)
    model.save(tmp_path / "m.pumap")
    back = ParametricUMAP.load(tmp_path / "m.pumap")
    assert back.min_dist == 0.1 and back.min_dist_ == 0.6 and back.global_correlation_weight_ == 0.25
    assert (back.a_, back.b_) == pytest.approx((model.a_, model.b_))


def test_estimator_refuses_settings_outside_the_declared_bounds(small_digits):
    X, _ = small_digits
    with pytest.raises(ValueError, match="min_dist must be at most spread"):
        ParametricUMAP(min_dist=2.0, n_epochs=1).fit(X)
    with pytest.raises(ValueError, match="learning_rate must be a finite number between"):
        ParametricUMAP(learning_rate=0.0, n_epochs=1).fit(X)


def test_slow_snapshots_do_not_starve_training(small_digits):
    """A snapshot that takes longer than the interval (a conv net embedding every
    face) is followed by at least three times its time of training, not by one step."""
    X, _ = small_digits
    steps = []

    def slow(snap):
        steps.append(snap.step)
        time.sleep(0.15)

    ParametricUMAP(n_epochs=20, batch_size=256, random_state=0).fit(
        X, callback=slow, snapshot_interval=0.0)
    assert len(steps) < 0.5 * steps[-1], steps
