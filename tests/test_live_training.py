import threading
import time

import numpy as np
import pytest

from pumap_core import ParametricUMAP, TrainingControls


def test_snapshots_report_progress_losses_and_embedding(small_digits):
    X, _ = small_digits
    snaps = []
    ParametricUMAP(n_epochs=6, snapshot_embedding=100, snapshot_interval=0.0,
                   random_state=0).fit(X, callback=snaps.append)
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

    ParametricUMAP(n_epochs=5, snapshot_interval=0.0, random_state=0).fit(
        X, controls=controls, callback=on_snapshot)
    assert seen[0][0] == pytest.approx(0.1)
    assert seen[-1][0] == pytest.approx(0.8) and seen[-1][1] != seen[0][1]  # new a, b


def test_pause_resume_and_stop_from_another_thread(small_digits):
    X, _ = small_digits
    controls = TrainingControls()
    steps = []
    model = ParametricUMAP(n_epochs=10_000, snapshot_interval=0.0, random_state=0)
    worker = threading.Thread(target=model.fit, args=(X,),
                              kwargs=dict(controls=controls, callback=lambda s: steps.append(s.step)))
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
