"""What a new user met in the dashboard, replayed on the session state without a browser."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.state import SessionState
from app.worker import Worker
from pumap_core.data import load_digits
from pumap_core.training.live import LIVE
from tests.app_support import poll_until

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def data():
    return load_digits(limit=300)


@pytest.fixture
def st(data):
    s = SessionState()
    s.worker.set_dataset(data)
    s.poll()
    yield s
    s.close()


def long_run(s: SessionState) -> None:
    s.param.update(n_epochs=2000, random_state=0)
    s.train()
    poll_until(s, lambda: s.frame is not None)


def rows_file(tmp_path, X, name="more.npy"):
    path = tmp_path / name
    np.save(path, X)
    return str(path)


def test_train_while_a_data_set_loads_waits_for_it(st):
    from app.views.controls import Controls

    controls = Controls(state=st)
    st.load("digits")  # 1,797 rows, in the background
    assert controls.train.disabled
    st.train()
    assert "Wait until digits has loaded" in st.notice
    assert st.worker.phase == "ready" and st.frame is None  # nothing trained the old data
    poll_until(st, lambda: st.dataset.n_samples == 1797)
    assert not controls.train.disabled and st.loading == ""


def test_switching_data_while_training_says_the_run_stopped(st, data, tmp_path):
    long_run(st)
    st.load(rows_file(tmp_path, data.X[:120], "other.npy"), wait=True)
    poll_until(st, lambda: st.dataset.n_samples == 120)
    assert "Training on digits stopped to switch to other" in st.notice
    assert st.phase == "ready"


def test_graph_build_shows_progress_a_preview_and_then_an_estimate(monkeypatch, data):
    import app.graphs
    import app.prepare

    real = app.graphs.build_graph

    def slow(*args, **kwargs):
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(app.graphs, "build_graph", slow)
    monkeypatch.setattr(app.prepare, "_graph_rate", {})
    s = SessionState()
    try:
        s.worker.set_dataset(data.subset(np.arange(200)))
        poll_until(s, lambda: s.preview is not None)
        assert len(s.preview) == 200 and s.frame is None  # a PCA preview, not a map
        assert s.preparing.startswith("building the neighbour graph of 200 items · 0:0")
        poll_until(s, lambda: s.preparing == "")
        s.worker.set_dataset(data.subset(np.arange(250)))  # the rate of the first build is known
        poll_until(s, lambda: "building" in s.preparing)
        assert "left" in s.preparing or "nearly done" in s.preparing
        poll_until(s, lambda: s.preparing == "")
    finally:
        s.close()


def test_restart_does_not_show_the_old_run_as_stopped(st):
    long_run(st)
    st.train()  # Restart
    poll_until(st, lambda: st.frame is not None and st.progress.step > 0)
    for _ in range(10):
        st.poll()
    assert st.notice != "Training stopped." and st.phase == "training"


def test_saved_model_has_the_settings_it_was_trained_with(st):
    from app.model_files import model_from_bytes

    long_run(st)
    st.min_dist = 0.45  # the slider
    st.global_correlation_weight = 0.3
    poll_until(st, lambda: st.progress.settings.get("min_dist") == 0.45)
    st.stop()
    poll_until(st, lambda: st.phase == "stopped")
    model = model_from_bytes(st.model_bytes())
    assert model.min_dist == 0.45 and model.global_correlation_weight == 0.3
    from pumap_core.training.curve import find_ab_params

    assert (model.a_, model.b_) == pytest.approx(find_ab_params(0.45, 1.0))


def test_live_settings_come_from_the_engine_declaration(st):
    from app.views.controls import Controls

    controls = Controls(state=st)
    assert set(controls.live) == {"min_dist", "global_correlation_weight", "reconstruction_weight"}
    for name, slider in controls.live.items():
        assert st.param[name].bounds == LIVE[name].bounds
        assert (slider.start, slider.end) == LIVE[name].soft_bounds
    assert controls.n_neighbors.end == st.param.n_neighbors.softbounds[1]
    with pytest.raises(ValueError):
        st.min_dist = 5.0  # beyond the declared bounds: refused by the state itself


def test_a_refused_live_value_is_shown_and_the_run_goes_on(st):
    long_run(st)
    st.min_dist = 2.0  # within the declared bounds, but beyond spread=1 of this run
    assert "Not applied" in st.error and "min_dist must be at most spread=1" in st.error
    step = st.progress.step
    poll_until(st, lambda: st.progress.step > step)
    assert st.phase == "training"


def test_learning_rate_menu_lists_each_rate_once():
    from app.views.controls import rate_options

    options = rate_options(3e-3)
    assert list(options) == ["1e-4", "3e-4", "1e-3", "3e-3", "1e-2"]
    assert list(rate_options(5e-4)).count("5e-4") == 1 and len(rate_options(5e-4)) == 6


def test_save_suggests_a_name_from_the_data(st, data):
    from app.views.controls import Controls

    controls = Controls(state=st)
    st.worker.set_dataset(data.subset(np.arange(50)))
    st.poll()
    assert controls.save.filename == "digits.pumap.safetensors"


def test_readme_quick_start_serves_with_two_threads():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = readme.index("## Two commands")
    block = readme[start:readme.index("##", start + 3)]
    assert "panel serve app --num-threads 2" in block


def test_new_rows_land_on_the_trained_map(st, data, tmp_path):
    st.param.update(n_epochs=10, random_state=0)
    st.train(wait=True)
    st.poll()
    more = load_digits()  # rows 300..1796 were never trained on
    st.add_data(rows_file(tmp_path, more.X[300:700]), wait=True)
    poll_until(st, lambda: st.added is not None)
    assert len(st.frame) == 300 + 400 and st.frame.n_train == 300
    np.testing.assert_allclose(st.added.z, st.model.transform(more.X[300:700]), atol=1e-5)
    assert "Placed 400 new rows" in st.notice and "rows/s" in st.notice
    assert st.shown.n_samples == 700 and st.shown.images[650].shape == (8, 8)
    picked = st.select_box(-5, -5, 5, 5)
    assert (picked >= 300).sum() == 400  # brushable like the rest
    click = st.click_at(*st.frame.xy[500])
    assert click.nearest == 500
    st.add_data(rows_file(tmp_path, more.X[:50, :10], "narrow.npy"), wait=True)
    poll_until(st, lambda: "Could not add" in st.error)
    assert "has 10 features per item, but the map was trained on 'digits' with 64" in st.error
    st.clear_added()
    assert st.added is None and len(st.frame) == 300


def test_new_rows_follow_the_map_while_it_trains(st, data, tmp_path):
    long_run(st)
    st.add_data(rows_file(tmp_path, data.X[:80]), wait=True)
    poll_until(st, lambda: st.added is not None)
    first = st.added
    poll_until(st, lambda: st.added.step > first.step)
    assert len(st.frame) == 380 and not np.allclose(st.added.z, first.z)


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

    s = SessionState()
    s.worker.set_dataset(data.subset(np.arange(200)), prebuild=False)
    s.poll()
    s.param.update(n_epochs=3, random_state=0)
    s.train(wait=True)
    s.poll()
    model, ds = weakref.ref(s.model), weakref.ref(s.dataset)
    s.close()  # the page's session object may live on (Bokeh drops it later): its data may not
    gc.collect()
    assert model() is None and ds() is None
    assert s.frame is None and s.worker.dataset is None
