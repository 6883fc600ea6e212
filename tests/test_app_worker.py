"""The session Worker without a browser: start, pause, resume, stop, live settings, errors, close."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.worker import Worker  # noqa: E402
from pumap_core.data import load_digits  # noqa: E402

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def data():
    return load_digits(limit=300)


@pytest.fixture
def session(data):
    s = Worker(torch_threads=1)
    s.set_dataset(data)
    yield s
    s.close()


def wait_for(predicate, timeout=30.0, every=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")


def long_run(session, **params):
    params = {"n_epochs": 500, "random_state": 0, "snapshot_interval": 0.05, **params}
    session.start(**params)
    return wait_for(session.take_snapshot)


def test_start_streams_snapshots_and_finishes(session, data):
    session.start(n_epochs=3, random_state=0, snapshot_interval=0.05, wait=True)
    assert session.phase == "done"
    snap = session.latest
    assert snap.done and snap.embedding.shape == (data.n_samples, 2)
    assert np.isfinite(snap.embedding).all()
    assert len(session.losses()) >= 2 and "umap" in session.losses()[-1].losses
    assert session.model is not None and session.model.embedding_.shape == (data.n_samples, 2)
    assert [k for k, _ in session.take_events()][-1] == "finished"


def test_take_snapshot_hands_out_each_snapshot_once(session):
    first = long_run(session)
    assert first is not None
    assert session.take_snapshot() is None or session.latest.step >= first.step


def test_pause_resume(session):
    long_run(session)
    session.pause()
    assert session.phase == "paused"
    time.sleep(0.3)  # the loop finishes its current step
    step = session.latest.step
    time.sleep(0.5)
    assert session.latest.step == step, "training advanced while paused"
    session.resume()
    assert session.phase == "training"
    wait_for(lambda: session.latest.step > step)


def test_stop_keeps_what_was_learned(session, data):
    long_run(session)
    session.stop(wait=True)
    assert not session.running
    assert session.phase == "stopped"
    assert session.model.embedding_.shape == (data.n_samples, 2)
    assert session.latest.done


def test_live_settings_reach_the_loop(session):
    long_run(session, min_dist=0.1)
    with pytest.raises(KeyError, match="not a live training setting"):
        session.update(ignored_name=5)
    with pytest.raises(ValueError, match="min_dist must be a finite number between 0 and 3"):
        session.update(min_dist=7.0)
    assert session.phase == "training" and session.running  # a refused value stops nothing
    session.update(min_dist=0.7, global_correlation_weight=0.3)
    snap = wait_for(lambda: (s := session.latest) is not None and s.settings["min_dist"] == 0.7 and s)
    assert snap.settings["global_correlation_weight"] == pytest.approx(0.3)
    a, b = snap.extra["a"], snap.extra["b"]
    assert a < 1.5, f"a={a}, b={b}: the curve was not refitted for min_dist=0.7"
    wait_for(lambda: "global" in session.latest.losses)


def test_training_error_surfaces(session):
    session.start(n_neighbors=5000, wait=True)  # more neighbours than the 300 rows
    assert session.phase == "failed"
    assert "n_neighbors" in session.error or "neighbors" in session.error
    assert ("error", session.error) in session.take_events()


def test_bad_source_keeps_previous_data(session, data):
    session.load("/nonexistent/nowhere.npy", wait=True)
    assert "no such file" in session.error
    assert session.dataset is data and not session.loading


def test_load_builtin_in_background(session):
    thread = session.load("digits")
    thread.join(60)
    assert session.dataset.n_samples == 1797
    assert ("dataset", (session.dataset, None)) in session.take_events()


def test_close_stops_the_thread(data):
    s = Worker()
    s.set_dataset(data)
    long_run(s)
    thread = s._thread
    s.close()
    assert not thread.is_alive()


def test_reset_forgets_model(session):
    long_run(session)
    session.reset()
    assert session.model is None and session.latest is None and session.phase == "ready"
    assert not session.running


def test_start_needs_data():
    with pytest.raises(RuntimeError, match="load a data set"):
        Worker().start()


def test_use_model_checks_features(session, data):
    session.start(n_epochs=2, random_state=0, wait=True)
    model = session.model
    Z = session.use_model(model)
    assert Z.shape == (data.n_samples, 2) and session.phase == "done"
    session.set_dataset(load_digits(limit=300).subset(np.arange(10)))
    session.dataset.X = session.dataset.X[:, :10]
    with pytest.raises(ValueError, match="fitted with 64"):
        session.use_model(model)


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
