"""AppState + Controller without a browser: what the widgets do and what the views read."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest

from app.controller import Controller  # noqa: E402
from app.frame import Frame  # noqa: E402
from app.state import AppState  # noqa: E402
from pumap_core.data import load_digits  # noqa: E402

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def data():
    return load_digits(limit=300)


@pytest.fixture
def ctl(data):
    c = Controller(AppState())
    c.session.set_dataset(data)
    c.poll()
    yield c
    c.close()


def poll_until(c: Controller, predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c.poll()
        if predicate():
            return
        time.sleep(0.03)
    raise AssertionError("condition not met in time")


@pytest.fixture
def trained(ctl):
    """A finished small run with a decoder."""
    ctl.state.param.update(n_epochs=15, random_state=0, reconstruction=True)
    ctl.train(wait=True)
    ctl.poll()
    assert ctl.state.phase == "done", ctl.state.error
    return ctl


def test_training_params_map_to_the_estimator():
    st = AppState(n_epochs=0, min_dist=0.3, global_weight=0.2, recon_weight=0.5)
    p = st.training_params()
    assert p["n_epochs"] is None  # 0 = automatic
    assert p["min_dist"] == 0.3 and p["global_correlation_weight"] == 0.2
    assert p["reconstruction_weight"] == 0.5
    from pumap_core import ParametricUMAP

    ParametricUMAP(**p)._check_params()


def test_dataset_fills_state(ctl, data):
    st = ctl.state
    assert st.phase == "ready" and "300 items × 64 features" in st.dataset_info
    assert st.param.color_by.objects == ["label"] and st.color_by == "label"
    assert st.reconstruction  # small data: decoder on by default


def test_large_data_defaults_to_no_reconstruction(data, monkeypatch):
    import app.controller

    monkeypatch.setattr(app.controller, "RECONSTRUCTION_AUTO_LIMIT", data.X.size - 1)
    c = Controller()
    c.session.set_dataset(data, prebuild=False)
    c.poll()
    assert not c.state.reconstruction


def test_frames_progress_and_live_min_dist(ctl, data):
    ctl.state.param.update(n_epochs=500, random_state=0)
    ctl.train()
    poll_until(ctl, lambda: ctl.state.frame is not None)
    assert len(ctl.state.frame) == data.n_samples
    assert ctl.state.phase == "training"
    ctl.state.min_dist = 0.55  # what the slider does
    poll_until(ctl, lambda: ctl.state.progress.settings.get("min_dist") == 0.55)
    ctl.pause()
    assert ctl.state.phase == "paused"
    ctl.resume()
    ctl.stop()
    poll_until(ctl, lambda: ctl.state.phase == "stopped")
    assert ctl.state.notice == "Training stopped."
    assert len(ctl.state.losses) >= 1


def test_frame_normalises_and_maps_back():
    z = np.random.default_rng(0).normal(5, 30, size=(1000, 2)).astype(np.float32)
    f = Frame.of(z, 3)
    assert np.abs(f.xy).max() < 2 and np.percentile(np.abs(f.xy), 99) <= 1.01
    i = 17
    np.testing.assert_allclose(f.to_latent(*f.xy[i])[0], z[i], rtol=1e-4, atol=1e-3)
    assert f.nearest(*f.xy[i]) == i
    assert f.nearest(50.0, 50.0, max_distance=0.1) == -1


def test_box_and_lasso_selection(ctl):
    xy = np.array([[-0.2, 0.1], [0.5, 0.6], [-0.5, 0.5], [0.9, -0.9], [2, 2]], np.float32)
    ctl.state.frame = Frame(z=xy, xy=xy, center=np.zeros(2, np.float32), scale=1.0)
    assert list(ctl.select_box(-0.6, -0.1, 0.6, 0.65)) == [0, 1, 2]
    assert list(ctl.state.selection) == [0, 1, 2]
    triangle = ([-1, 1, 1], [-1, -1, 1])  # below the diagonal y = x
    assert list(ctl.select_polygon(*triangle)) == [3]
    ctl.clear_selection()
    assert len(ctl.state.selection) == 0


def test_selection_table_and_csv(trained, data):
    f = trained.state.frame
    trained.select_box(-2, -2, 2, 2)
    table = trained.selection_table()
    assert len(table) == len(trained.state.selection) > 0
    assert {"index", "label", "z0", "z1"} <= set(table.columns)
    row = table.iloc[0]
    assert row["label"] == str(data.labels[row["index"]])
    assert row["z0"] == pytest.approx(f.z[int(row["index"]), 0])
    back = pd.read_csv(io.StringIO(table.to_csv(index=False)))
    assert list(back["index"]) == list(table["index"])


def test_click_decodes_and_finds_neighbours(trained, data):
    f = trained.state.frame
    x, y = f.xy[5]
    c = trained.click(float(x), float(y))
    assert c.decoded is not None and c.decoded.shape == (8, 8)  # images keep their shape
    assert c.nearest == 5
    assert len(c.neighbours) == 8 and 5 not in c.neighbours
    assert trained.state.click is c and c.ms > 0
    w = trained.directions()
    assert sorted(w.index) == [str(i) for i in range(10)]
    moved, message = trained.decode_shifted({"3": 1.0})
    assert message == "" and not np.allclose(moved, c.decoded)


def test_click_without_decoder_says_so(ctl):
    ctl.state.param.update(n_epochs=2, random_state=0, reconstruction=False)
    ctl.train(wait=True)
    ctl.poll()
    c = ctl.click(0.0, 0.0)
    assert c.decoded is None and "reconstruction" in c.message


def test_quality_refreshes(trained):
    trained.quality._at = 0.0
    trained.poll()
    trained.wait_quality()
    trained.poll()
    q = trained.state.quality
    assert 0.5 < q["trustworthiness"] <= 1.0 and -1 <= q["distance_correlation"] <= 1
    assert q["n"] == 300 and q["step"] == trained.state.frame.step


def test_model_round_trip_and_bad_file(trained):
    blob = trained.model_bytes()
    z_before = trained.session.model.transform(trained.dataset.X[:5])
    assert trained.load_model_bytes(b"not a model at all", "broken.safetensors") is False
    assert "broken.safetensors" in trained.state.error and "/tmp" not in trained.state.error
    assert trained.load_model_bytes(blob, "model.safetensors")
    assert trained.state.error == "" and trained.state.phase == "done"
    np.testing.assert_allclose(trained.session.model.transform(trained.dataset.X[:5]), z_before,
                               rtol=1e-5, atol=1e-5)
    assert trained.state.frame is not None and len(trained.state.frame) == 300


def test_save_refused_while_training(ctl):
    ctl.state.param.update(n_epochs=500, random_state=0)
    ctl.train()
    poll_until(ctl, lambda: ctl.state.frame is not None)
    with pytest.raises(RuntimeError, match="Stop training"):
        ctl.model_bytes()


def test_bad_path_shows_error_and_keeps_data(ctl, data):
    ctl.load("/nonexistent/folder/data.csv", wait=True)
    ctl.poll()
    assert "no such file" in ctl.state.error
    assert ctl.dataset is data and ctl.state.phase == "ready"
    ctl.load("   ")
    assert "Type a path" in ctl.state.error


def test_training_error_shows_in_state(ctl):
    ctl.state.n_neighbors = 200
    ctl.session.set_dataset(load_digits(limit=50))
    ctl.poll()
    ctl.train(wait=True)
    ctl.poll()
    assert ctl.state.phase == "failed" and "Training failed" in ctl.state.error


def test_close_stops_training(data):
    c = Controller()
    c.session.set_dataset(data)
    c.state.param.update(n_epochs=500)
    c.train()
    poll_until(c, lambda: c.state.frame is not None)
    thread = c.session._thread
    c.close()
    assert not thread.is_alive()
