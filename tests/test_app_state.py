"""SessionState without a browser: what the widgets do and what the views read."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from app.frame import Frame  # noqa: E402
from app.state import SessionState
from app.views.selection import selection_table  # noqa: E402
from pumap_core.data import load_digits  # noqa: E402
from tests.app_support import finished_run, open_state, poll_until  # noqa: E402

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def trained(state):
    """A finished small run with a decoder."""
    return finished_run(state, n_epochs=15, random_state=0, reconstruction=True)


def test_training_params_map_to_the_estimator():
    st = SessionState(n_epochs=0, min_dist=0.3, global_correlation_weight=0.2, reconstruction_weight=0.5)
    p = st.training_params()
    assert p["n_epochs"] is None  # 0 = automatic
    assert p["min_dist"] == 0.3 and p["global_correlation_weight"] == 0.2
    assert p["reconstruction_weight"] == 0.5
    assert p["batch_size"] is None  # the engine's automatic batch (or a preset's)
    from pumap_core import ParametricUMAP
    from pumap_core.model.params import check_params

    check_params(ParametricUMAP(**{k: v for k, v in p.items() if v is not None}))


def test_dataset_fills_state(state, data):
    assert state.phase == "ready" and "300 items × 64 features" in state.dataset_info
    assert state.param.color_by.objects == ["label"] and state.color_by == "label"
    assert state.reconstruction  # small data: decoder on by default


def test_large_data_defaults_to_no_reconstruction(data, monkeypatch):
    import app.state

    monkeypatch.setattr(app.state, "RECONSTRUCTION_AUTO_LIMIT", data.X.size - 1)
    with open_state(data, prebuild=False) as state:
        assert not state.reconstruction


def test_frames_progress_and_live_min_dist(state, data):
    state.param.update(n_epochs=500, random_state=0)
    state.train()
    poll_until(state, lambda: state.frame is not None)
    assert len(state.frame) == data.n_samples
    assert state.phase == "training"
    state.min_dist = 0.55  # what the slider does
    poll_until(state, lambda: state.progress.settings.get("min_dist") == 0.55)
    state.pause()
    assert state.phase == "paused"
    state.resume()
    state.stop()
    poll_until(state, lambda: state.phase == "stopped")
    assert state.notice == "Training stopped."
    assert len(state.losses) >= 1


def test_frame_normalises_and_maps_back():
    z = np.random.default_rng(0).normal(5, 30, size=(1000, 2)).astype(np.float32)
    f = Frame.of(z, 3)
    assert np.abs(f.xy).max() < 2 and np.percentile(np.abs(f.xy), 99) <= 1.01
    i = 17
    np.testing.assert_allclose(f.to_latent(*f.xy[i])[0], z[i], rtol=1e-4, atol=1e-3)
    assert f.nearest(*f.xy[i]) == i
    assert f.nearest(50.0, 50.0, max_distance=0.1) == -1


def test_box_and_lasso_selection(state):
    xy = np.array([[-0.2, 0.1], [0.5, 0.6], [-0.5, 0.5], [0.9, -0.9], [2, 2]], np.float32)
    state.frame = Frame(z=xy, xy=xy, center=np.zeros(2, np.float32), scale=1.0)
    assert list(state.select_box(-0.6, -0.1, 0.6, 0.65)) == [0, 1, 2]
    assert list(state.selection) == [0, 1, 2]
    triangle = ([-1, 1, 1], [-1, -1, 1])  # below the diagonal y = x
    assert list(state.select_polygon(*triangle)) == [3]
    state.clear_selection()
    assert len(state.selection) == 0


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


def test_click_without_decoder_says_so(state):
    state.param.update(n_epochs=2, random_state=0, reconstruction=False)
    state.train(wait=True)
    state.poll()
    c = state.click_at(0.0, 0.0)
    assert c.decoded is None and "reconstruction" in c.message


def test_quality_refreshes(trained):
    # the page's poll starts the monitor on the final frame and picks up its result
    poll_until(trained, lambda: trained.quality.get("step") == trained.frame.step)
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


def test_save_refused_while_training(state):
    state.param.update(n_epochs=500, random_state=0)
    state.train()
    poll_until(state, lambda: state.frame is not None)
    with pytest.raises(RuntimeError, match="Stop training"):
        state.model_bytes()


def test_bad_path_shows_error_and_keeps_data(state, data):
    state.load("/nonexistent/folder/data.csv", wait=True)
    state.poll()
    assert "no such file" in state.error
    assert state.dataset is data and state.phase == "ready"
    state.load("   ")
    assert "Type a path" in state.error


def test_training_error_shows_in_state(state):
    state.n_neighbors = 200
    state.worker.set_dataset(load_digits(limit=50))
    state.poll()
    state.train(wait=True)
    state.poll()
    assert state.phase == "failed" and "Training failed" in state.error


def test_close_stops_training(state):
    state.param.update(n_epochs=500)
    state.train()
    poll_until(state, lambda: state.frame is not None)
    thread = state.worker._thread
    state.close()
    assert not thread.is_alive()
