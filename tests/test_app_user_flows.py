"""What a new user met in the dashboard, replayed on the session state without a browser."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.state import SessionState
from app.worker import Worker
from pumap_core.data import load_digits
from pumap_core.training.live import LIVE
from tests.app_support import open_state, poll_until

pytestmark = pytest.mark.timeout(180)


def long_run(state: SessionState) -> None:
    """Start a run too long to finish during the test; return at its first frame."""
    state.param.update(n_epochs=2000, random_state=0)
    state.train()
    poll_until(state, lambda: state.frame is not None)


def rows_file(tmp_path, X, name="more.npy"):
    path = tmp_path / name
    np.save(path, X)
    return str(path)


def test_train_while_a_data_set_loads_waits_for_it(state):
    from app.views.sidebar import Sidebar

    sidebar = Sidebar(state=state)
    state.load("digits")  # 1,797 rows, in the background
    assert sidebar.train.disabled
    state.train()
    assert "Wait until digits has loaded" in state.notice
    assert state.worker.phase == "ready" and state.frame is None  # nothing trained the old data
    poll_until(state, lambda: state.dataset.n_samples == 1797)
    assert not sidebar.train.disabled and state.loading == ""


def test_switching_data_while_training_says_the_run_stopped(state, data, tmp_path):
    long_run(state)
    state.load(rows_file(tmp_path, data.X[:120], "other.npy"), wait=True)
    poll_until(state, lambda: state.dataset.n_samples == 120)
    assert "Training on digits stopped to switch to other" in state.notice
    assert state.phase == "ready"


def test_graph_build_shows_progress_a_preview_and_then_an_estimate(monkeypatch, data):
    import app.graphs
    import app.prepare

    real = app.graphs.build_graph

    def slow(*args, **kwargs):
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(app.graphs, "build_graph", slow)
    monkeypatch.setattr(app.prepare, "_graph_rate", {})
    with open_state(data.subset(np.arange(200))) as state:
        poll_until(state, lambda: state.preview is not None)
        assert len(state.preview) == 200 and state.frame is None  # a PCA preview, not a map
        assert state.preparing.startswith("building the neighbour graph of 200 items · 0:0")
        poll_until(state, lambda: state.preparing == "")
        state.worker.set_dataset(data.subset(np.arange(250)))  # the first build's rate is known
        poll_until(state, lambda: "building" in state.preparing)
        assert "left" in state.preparing or "nearly done" in state.preparing
        poll_until(state, lambda: state.preparing == "")


def test_restart_does_not_show_the_old_run_as_stopped(state):
    long_run(state)
    state.train()  # Restart
    poll_until(state, lambda: state.frame is not None and state.progress.step > 0)
    for _ in range(10):
        state.poll()
    assert state.notice != "Training stopped." and state.phase == "training"


def test_saved_model_has_the_settings_it_was_trained_with(state):
    from app.model_transfer import model_from_bytes

    long_run(state)
    state.min_dist = 0.45  # the slider
    state.global_correlation_weight = 0.3
    poll_until(state, lambda: state.progress.settings.get("min_dist") == 0.45)
    state.stop()
    poll_until(state, lambda: state.phase == "stopped")
    model = model_from_bytes(state.model_bytes())
    assert model.min_dist_ == 0.45 and model.global_correlation_weight_ == 0.3
    from pumap_core.training.curve import find_ab_params

    assert (model.a_, model.b_) == pytest.approx(find_ab_params(0.45, 1.0))


def test_live_settings_come_from_the_engine_declaration(state):
    from app.views.sidebar import Sidebar

    sidebar = Sidebar(state=state)
    assert set(sidebar.live) == {"min_dist", "global_correlation_weight", "reconstruction_weight",
                                 "classifier_weight", "landmark_weight"}
    for name, slider in sidebar.live.items():
        assert state.param[name].bounds == LIVE[name].bounds
        assert (slider.start, slider.end) == LIVE[name].soft_bounds
    assert sidebar.n_neighbors.end == state.param.n_neighbors.softbounds[1]
    with pytest.raises(ValueError):
        state.min_dist = 5.0  # beyond the declared bounds: refused by the state itself


def test_a_refused_live_value_is_shown_and_the_run_goes_on(state):
    long_run(state)
    state.min_dist = 2.0  # within the declared bounds, but beyond spread=1 of this run
    assert "Not applied" in state.error and "min_dist must be at most spread=1" in state.error
    step = state.progress.step
    poll_until(state, lambda: state.progress.step > step)
    assert state.phase == "training"


def test_learning_rate_menu_lists_each_rate_once():
    from app.views.sidebar import rate_options

    options = rate_options(3e-3)
    assert list(options) == ["1e-4", "3e-4", "1e-3", "3e-3", "1e-2"]
    assert list(rate_options(5e-4)).count("5e-4") == 1 and len(rate_options(5e-4)) == 6


def test_save_suggests_a_name_from_the_data(state, data):
    from app.views.sidebar import Sidebar

    sidebar = Sidebar(state=state)
    state.worker.set_dataset(data.subset(np.arange(50)))
    state.poll()
    assert sidebar.save.filename == "digits.pumap.safetensors"


def test_readme_quick_start_serves_with_two_threads():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = readme.index("## Two commands")
    block = readme[start:readme.index("##", start + 3)]
    assert "panel serve app --num-threads 2" in block


def test_new_rows_land_on_the_trained_map(state, data, tmp_path):
    state.param.update(n_epochs=10, random_state=0)
    state.train(wait=True)
    state.poll()
    more = load_digits()  # rows 300..1796 were never trained on
    state.add_data(rows_file(tmp_path, more.X[300:700]), wait=True)
    poll_until(state, lambda: state.added is not None)
    assert len(state.frame) == 300 + 400 and state.frame.n_train == 300
    np.testing.assert_allclose(state.added.z, state.model.transform(more.X[300:700]), atol=1e-5)
    assert "Placed 400 new rows" in state.notice and "rows per second" in state.notice
    assert state.shown.n_samples == 700 and state.shown.images[650].shape == (8, 8)
    picked = state.select_box(-5, -5, 5, 5)
    assert (picked >= 300).sum() == 400  # brushable like the rest
    click = state.click_at(*state.frame.xy[500])
    assert click.nearest == 500
    state.add_data(rows_file(tmp_path, more.X[:50, :10], "narrow.npy"), wait=True)
    poll_until(state, lambda: "Could not add" in state.error)
    assert "has 10 features per item, but the map was trained on 'digits' with 64" in state.error
    state.clear_added()
    assert state.added is None and len(state.frame) == 300


def test_new_rows_follow_the_map_while_it_trains(state, data, tmp_path):
    long_run(state)
    state.add_data(rows_file(tmp_path, data.X[:80]), wait=True)
    poll_until(state, lambda: state.added is not None)
    first = state.added
    poll_until(state, lambda: state.added.step > first.step)
    assert len(state.frame) == 380 and not np.allclose(state.added.z, first.z)


def test_worker_drops_new_rows_with_the_data(data):
    w = Worker()
    w.set_dataset(data, prebuild=False)
    w.start(n_epochs=2, random_state=0, wait=True)
    w.add("digits", wait=True)
    assert w.added is not None and w.added.n == 1797
    w.set_dataset(data, prebuild=False)
    assert w.added is None
    w.close()


def test_closing_a_session_lets_go_of_its_data_and_model(data):
    import gc
    import weakref

    with open_state(data.subset(np.arange(200)), prebuild=False, n_epochs=3,
                    random_state=0) as state:
        state.train(wait=True)
        state.poll()
        model, ds = weakref.ref(state.model), weakref.ref(state.dataset)
    # closed: the page's session object may live on (Bokeh drops it later), its data may not
    gc.collect()
    assert model() is None and ds() is None
    assert state.frame is None and state.worker.dataset is None
