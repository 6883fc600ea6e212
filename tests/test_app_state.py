"""AppState + Controller without a browser: what the widgets do and what the views read."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from app.frame import Frame  # noqa: E402
from app.state import SessionState
from app.views.selection import selection_table  # noqa: E402
from pumap_core.data import load_digits  # noqa: E402
from tests.app_support import poll_until  # noqa: E402

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def data():
    return load_digits(limit=300)


@pytest.fixture
def ctl(data):
    c = SessionState()
    c.worker.set_dataset(data)
    c.poll()
    yield c
    c.close()


@pytest.fixture
def trained(ctl):
    """A finished small run with a decoder."""
    ctl.param.update(n_epochs=15, random_state=0, reconstruction=True)
    ctl.train(wait=True)
    ctl.poll()
    assert ctl.phase == "done", ctl.error
    return ctl


def test_training_params_map_to_the_estimator():
    st = SessionState(n_epochs=0, min_dist=0.3, global_correlation_weight=0.2, reconstruction_weight=0.5)
    p = st.training_params()
    assert p["n_epochs"] is None  # 0 = automatic
    assert p["min_dist"] == 0.3 and p["global_correlation_weight"] == 0.2
    assert p["reconstruction_weight"] == 0.5
    from pumap_core import ParametricUMAP
    from pumap_core.model.params import check_params

    check_params(ParametricUMAP(**p))


def test_dataset_fills_state(ctl, data):
    st = ctl
    assert st.phase == "ready" and "300 items × 64 features" in st.dataset_info
    assert st.param.color_by.objects == ["label"] and st.color_by == "label"
    assert st.reconstruction  # small data: decoder on by default


def test_large_data_defaults_to_no_reconstruction(data, monkeypatch):
    import app.state

    monkeypatch.setattr(app.state, "RECONSTRUCTION_AUTO_LIMIT", data.X.size - 1)
    c = SessionState()
    c.worker.set_dataset(data, prebuild=False)
    c.poll()
    assert not c.reconstruction


def test_frames_progress_and_live_min_dist(ctl, data):
    ctl.param.update(n_epochs=500, random_state=0)
    ctl.train()
    poll_until(ctl, lambda: ctl.frame is not None)
    assert len(ctl.frame) == data.n_samples
    assert ctl.phase == "training"
    ctl.min_dist = 0.55  # what the slider does
    poll_until(ctl, lambda: ctl.progress.settings.get("min_dist") == 0.55)
    ctl.pause()
    assert ctl.phase == "paused"
    ctl.resume()
    ctl.stop()
    poll_until(ctl, lambda: ctl.phase == "stopped")
    assert ctl.notice == "Training stopped."
    assert len(ctl.losses) >= 1


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
    ctl.frame = Frame(z=xy, xy=xy, center=np.zeros(2, np.float32), scale=1.0)
    assert list(ctl.select_box(-0.6, -0.1, 0.6, 0.65)) == [0, 1, 2]
    assert list(ctl.selection) == [0, 1, 2]
    triangle = ([-1, 1, 1], [-1, -1, 1])  # below the diagonal y = x
    assert list(ctl.select_polygon(*triangle)) == [3]
    ctl.clear_selection()
    assert len(ctl.selection) == 0


def test_selection_table_and_csv(trained, data):
    f = trained.frame
    trained.select_box(-2, -2, 2, 2)
    table = selection_table(trained.dataset, trained.selection, trained.frame)
    assert len(table) == len(trained.selection) > 0
    assert {"index", "label", "z0", "z1"} <= set(table.columns)
    row = table.iloc[0]
    assert row["label"] == str(data.labels[row["index"]])
    assert row["z0"] == pytest.approx(f.z[int(row["index"]), 0])
    back = pd.read_csv(io.StringIO(table.to_csv(index=False)))
    assert list(back["index"]) == list(table["index"])


def test_click_decodes_and_finds_neighbours(trained, data):
    f = trained.frame
    x, y = f.xy[5]
    c = trained.click_at(float(x), float(y))
    assert c.decoded is not None and c.decoded.shape == (8, 8)  # images keep their shape
    assert c.nearest == 5
    assert len(c.neighbours) == 8 and 5 not in c.neighbours
    assert trained.click is c and c.ms > 0
    w = trained.steering().directions
    assert sorted(w.index) == [str(i) for i in range(10)]
    moved, message = trained.decode_shifted({"3": 1.0})
    assert message == "" and not np.allclose(moved, c.decoded)


def test_click_without_decoder_says_so(ctl):
    ctl.param.update(n_epochs=2, random_state=0, reconstruction=False)
    ctl.train(wait=True)
    ctl.poll()
    c = ctl.click_at(0.0, 0.0)
    assert c.decoded is None and "reconstruction" in c.message


def test_quality_refreshes(trained):
    trained.quality_monitor._at = 0.0
    trained.poll()
    trained.wait_quality()
    trained.poll()
    q = trained.quality
    assert 0.5 < q["trustworthiness"] <= 1.0 and -1 <= q["distance_correlation"] <= 1
    assert q["n"] == 300 and q["step"] == trained.frame.step


def test_model_round_trip_and_bad_file(trained):
    blob = trained.model_bytes()
    z_before = trained.model.transform(trained.dataset.X[:5])
    assert trained.load_model_bytes(b"not a model at all", "broken.safetensors") is False
    assert "broken.safetensors" in trained.error and "/tmp" not in trained.error
    assert trained.load_model_bytes(blob, "model.safetensors")
    assert trained.error == "" and trained.phase == "done"
    np.testing.assert_allclose(trained.model.transform(trained.dataset.X[:5]), z_before,
                               rtol=1e-5, atol=1e-5)
    assert trained.frame is not None and len(trained.frame) == 300


def test_save_refused_while_training(ctl):
    ctl.param.update(n_epochs=500, random_state=0)
    ctl.train()
    poll_until(ctl, lambda: ctl.frame is not None)
    with pytest.raises(RuntimeError, match="Stop training"):
        ctl.model_bytes()


def test_bad_path_shows_error_and_keeps_data(ctl, data):
    ctl.load("/nonexistent/folder/data.csv", wait=True)
    ctl.poll()
    assert "no such file" in ctl.error
    assert ctl.dataset is data and ctl.phase == "ready"
    ctl.load("   ")
    assert "Type a path" in ctl.error


def test_training_error_shows_in_state(ctl):
    ctl.n_neighbors = 200
    ctl.worker.set_dataset(load_digits(limit=50))
    ctl.poll()
    ctl.train(wait=True)
    ctl.poll()
    assert ctl.phase == "failed" and "Training failed" in ctl.error


def test_close_stops_training(data):
    c = SessionState()
    c.worker.set_dataset(data)
    c.poll()
    c.param.update(n_epochs=500)
    c.train()
    poll_until(c, lambda: c.frame is not None)
    thread = c.worker._thread
    c.close()
    assert not thread.is_alive()
