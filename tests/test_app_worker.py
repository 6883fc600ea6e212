"""The worker Worker without a browser: start, pause, resume, stop, live settings, errors, close."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.worker import Worker  # noqa: E402
from pumap_core.data import load_digits  # noqa: E402
from tests.app_support import wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def worker(data):
    w = Worker(torch_threads=1)
    w.set_dataset(data)
    yield w
    w.close()


def long_run(worker, **params):
    """Start a run too long to finish during the test; its first snapshot."""
    params = {"n_epochs": 500, "random_state": 0, "snapshot_interval": 0.05, **params}
    worker.start(**params)
    return wait_for(worker.take_snapshot)


def last_step(worker) -> int:
    """The step of the newest snapshot the loop reported."""
    return worker.losses()[-1].step


def test_start_streams_snapshots_and_finishes(worker, data):
    worker.start(n_epochs=3, random_state=0, snapshot_interval=0.05, wait=True)
    assert worker.phase == "done"
    snap = worker.take_snapshot()
    assert snap.done and snap.embedding.shape == (data.n_samples, 2)
    assert np.isfinite(snap.embedding).all()
    assert len(worker.losses()) >= 2 and "umap" in worker.losses()[-1].losses
    assert worker.model is not None and worker.model.embedding_.shape == (data.n_samples, 2)
    assert [k for k, _ in worker.take_events()][-1] == "finished"


def test_take_snapshot_hands_out_each_snapshot_once(worker):
    first = long_run(worker)
    worker.stop(wait=True)
    last = worker.take_snapshot()
    assert last.done and last.step >= first.step
    assert worker.take_snapshot() is None


def test_pause_resume(worker):
    long_run(worker)
    worker.pause()
    assert worker.phase == "paused"
    time.sleep(0.3)  # the loop finishes its current step
    step = last_step(worker)
    time.sleep(0.5)
    assert last_step(worker) == step, "training advanced while paused"
    worker.resume()
    assert worker.phase == "training"
    wait_for(lambda: last_step(worker) > step)


def test_stop_keeps_what_was_learned(worker, data):
    long_run(worker)
    worker.stop(wait=True)
    assert not worker.running
    assert worker.phase == "stopped"
    assert worker.model.embedding_.shape == (data.n_samples, 2)
    assert worker.take_snapshot().done


def test_live_settings_reach_the_loop(worker):
    long_run(worker, min_dist=0.1)
    with pytest.raises(KeyError, match="not a live training setting"):
        worker.update(ignored_name=5)
    with pytest.raises(ValueError, match="min_dist must be a finite number between 0 and 3"):
        worker.update(min_dist=7.0)
    assert worker.phase == "training" and worker.running  # a refused value stops nothing
    worker.update(min_dist=0.7, global_correlation_weight=0.3)
    snap = wait_for(lambda: (s := worker.take_snapshot()) and s.settings["min_dist"] == 0.7 and s)
    assert snap.settings["global_correlation_weight"] == pytest.approx(0.3)
    a, b = snap.extra["a"], snap.extra["b"]
    assert a < 1.5, f"a={a}, b={b}: the curve was not refitted for min_dist=0.7"
    wait_for(lambda: "global" in worker.losses()[-1].losses)


def test_training_error_surfaces(worker):
    worker.start(n_neighbors=5000, wait=True)  # more neighbours than the 300 rows
    assert worker.phase == "failed"
    assert "n_neighbors" in worker.error or "neighbors" in worker.error
    assert ("error", worker.error) in worker.take_events()


def test_bad_source_keeps_previous_data(worker, data):
    worker.load("/nonexistent/nowhere.npy", wait=True)
    assert "no such file" in worker.error
    assert worker.dataset is data and not worker.loading


def test_load_builtin_in_background(worker):
    thread = worker.load("digits")
    thread.join(60)
    assert worker.dataset.n_samples == 1797
    assert ("dataset", (worker.dataset, None)) in worker.take_events()


def test_close_stops_the_thread(data):
    s = Worker()
    s.set_dataset(data)
    long_run(s)
    thread = s._thread
    s.close()
    assert not thread.is_alive()


def test_reset_forgets_model(worker):
    long_run(worker)
    worker.reset()
    assert worker.model is None and worker.phase == "ready"
    assert worker.take_snapshot() is None and worker.losses() == []
    assert not worker.running


def test_start_needs_data():
    with pytest.raises(RuntimeError, match="load a data set"):
        Worker().start()


def test_use_model_checks_features(worker, data):
    worker.start(n_epochs=2, random_state=0, wait=True)
    model = worker.model
    Z = worker.use_model(model)
    assert Z.shape == (data.n_samples, 2) and worker.phase == "done"
    worker.set_dataset(load_digits(limit=300).subset(np.arange(10)))
    worker.dataset.X = worker.dataset.X[:, :10]
    with pytest.raises(ValueError, match="fitted with 64"):
        worker.use_model(model)


def test_default_graph_is_prebuilt_in_background(monkeypatch):
    import app.graphs

    ds = load_digits(limit=250)  # data no other test has built a graph for
    s = Worker()
    s.set_dataset(ds)
    s._graph_thread.join(60)
    assert not s.preparing

    def no_build(*args, **kwargs):
        raise AssertionError("the graph was not cached")

    monkeypatch.setattr(app.graphs, "build_graph", no_build)
    hits = app.graphs.GRAPHS.hits
    s.start(n_epochs=1, n_neighbors=15, wait=True)  # fit finds the prebuilt graph
    assert s.phase == "done", s.error
    assert app.graphs.GRAPHS.hits > hits
    s.close()
    # a second session on the same data reuses it too, prebuild and training alike
    other = Worker()
    other.set_dataset(load_digits(limit=250))
    other._graph_thread.join(60)
    other.start(n_epochs=1, wait=True)
    assert other.phase == "done", other.error
    other.close()


def test_graph_cache_keys_on_data_and_graph_settings():
    from app.graphs import GraphCache

    X = load_digits(limit=120).X
    cache = GraphCache(size=2)
    g = cache.graph_for(X, 10)
    assert cache.graph_for(X.copy(), 10) is g and cache.hits == 1  # same content, same graph
    assert cache.graph_for(X, 12) is not g
    X2 = X.copy()
    X2[0, 0] += 1.0
    assert cache.graph_for(X2, 10) is not g
    assert cache.graph_for(X, 10) is not g  # the LRU of two let the first graph go
