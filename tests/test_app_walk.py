"""A new user's second walk through the studio, without a browser: the data root, raw new
rows, what Reset clears, the chooser, the settings widgets, saving mid-restart and the
words on the page."""

from __future__ import annotations

import os

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

from app.data_root import DataRoot, OutsideRoot, served_beyond_this_machine
from pumap_core.data import load_digits
from tests.app_support import open_state, poll_until

hv.extension("bokeh")
pytestmark = pytest.mark.timeout(240)


# -- the data root ----------------------------------------------------------------------
def test_a_data_root_refuses_paths_and_links_that_lead_outside(tmp_path):
    root = tmp_path / "shared"
    (root / "sets").mkdir(parents=True)
    (root / "sets" / "a.npy").write_bytes(b"")
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.csv").write_text("a,b\n1,2\n")
    os.symlink(outside, root / "escape")  # a link inside the root to a folder outside it
    os.symlink(outside / "secret.csv", root / "sets" / "secret.csv")
    os.symlink(root / "sets" / "a.npy", root / "inside.npy")  # a link that stays inside
    r = DataRoot(root.resolve())
    assert r.resolve("sets/a.npy") == str((root / "sets" / "a.npy").resolve())
    assert r.resolve(str(root / "inside.npy")) == str((root / "sets" / "a.npy").resolve())
    for bad in ("/etc", "/etc/passwd", "../..", "sets/../../private/secret.csv",
                "escape/secret.csv", "sets/secret.csv", str(root / "escape")):
        with pytest.raises(OutsideRoot, match="outside the data folder this server shares"):
            r.resolve(bad)
    assert DataRoot(None).resolve("/etc") == "/etc"  # a local server: any path


def test_where_the_root_comes_from(tmp_path):
    assert served_beyond_this_machine(["panel", "serve", "app", "--address", "0.0.0.0"])
    assert served_beyond_this_machine(["panel", "serve", "app", "--allow-websocket-origin=lab:5006"])
    assert not served_beyond_this_machine(["panel", "serve", "app", "--address", "127.0.0.1"], environ={})
    assert not served_beyond_this_machine(["panel", "serve", "app"], environ={})
    assert served_beyond_this_machine(["panel", "serve", "app"],
                                      environ={"BOKEH_ALLOW_WS_ORIGIN": "localhost:5006,lab:5006"})
    assert not served_beyond_this_machine(["panel", "serve", "app"],
                                          environ={"BOKEH_ALLOW_WS_ORIGIN": "localhost:5006"})
    args = DataRoot.configured(["--data-root", str(tmp_path)], {}, [])
    assert args.folder == tmp_path.resolve()
    env = DataRoot.configured([], {"PUMAP_DATA_ROOT": str(tmp_path)}, [])
    assert env.folder == tmp_path.resolve()
    served = DataRoot.configured([], {"PUMAP_DATA_DIR": str(tmp_path)},
                                 ["panel", "serve", "app", "--address", "0.0.0.0"])
    assert served.folder == tmp_path.resolve()  # served to others: the data folder
    assert DataRoot.configured([], {}, ["panel", "serve", "app"]).folder is None


def test_the_page_says_no_to_paths_outside_and_keeps_the_built_in_sets(tmp_path):
    np.save(tmp_path / "rows.npy", load_digits().X[:60])
    with open_state(root=DataRoot(tmp_path.resolve())) as c:
        c.load("/etc", wait=True)
        assert "outside the data folder" in c.error and c.loading == ""
        c.load("../..", wait=True)
        assert "outside the data folder" in c.error
        c.load("rows.npy", wait=True)  # relative to the root
        poll_until(c, lambda: c.dataset is not None)
        assert c.dataset.n_samples == 60 and c.error == ""
        c.load("digits", wait=True)
        poll_until(c, lambda: c.dataset is not None and c.dataset.n_samples == 1797)


# -- new rows on another scale --------------------------------------------------------------
def test_raw_rows_land_where_their_scaled_copies_do_and_far_rows_are_flagged(tmp_path):
    from sklearn.datasets import load_digits as sk_digits

    raw = sk_digits().data.astype(np.float32)  # 0..16, as scikit-learn ships them
    np.save(tmp_path / "raw.npy", raw[1500:])
    np.save(tmp_path / "far.npy", raw[1500:1520] * 40.0)
    with open_state(load_digits(), prebuild=False, n_epochs=5, random_state=0) as c:
        c.train(wait=True)
        c.poll()
        c.add_data(str(tmp_path / "raw.npy"), wait=True)
        poll_until(c, lambda: c.added is not None)
        assert "297 arrived as raw values and were scaled" in c.notice and c.warning == ""
        np.testing.assert_allclose(c.added.z, c.model.transform(load_digits().X[1500:]),
                                   atol=1e-5)
        c.add_data(str(tmp_path / "far.npy"), wait=True)
        poll_until(c, lambda: c.added is not None and c.added.n == 20)
        assert "20 of the 20 new rows lie far outside the training range" in c.warning
        assert "values in [0, 1]" in c.warning


# -- Reset, the chooser, the settings, saving ----------------------------------------------
def test_reset_clears_what_was_said_about_the_old_map(tmp_path):
    np.save(tmp_path / "more.npy", load_digits().X[1000:1300])
    with open_state(load_digits(), prebuild=False, n_epochs=3, random_state=0) as c:
        c.train(wait=True)
        c.poll()
        c.add_data(str(tmp_path / "more.npy"), wait=True)
        poll_until(c, lambda: c.added is not None)
        f = c.frame
        assert c.hover_at(float(f.xy[0, 0]), float(f.xy[0, 1])) == 0
        assert "Placed 300 new rows" in c.notice
        c.reset()
        assert c.notice == "" and c.warning == "" and c.hover == -1 and c.added is None


def test_the_chooser_follows_an_opened_path_and_the_settings_follow_the_plan(tmp_path):
    from app.views.sidebar import Sidebar
    from tests.test_app_faces import toy_faces

    faces = toy_faces(n=120, side=8)
    np.save(tmp_path / "faces.npy", faces.images)
    with open_state() as c:
        side = Sidebar(state=c)
        c.load(str(tmp_path / "faces.npy"), wait=True)
        poll_until(c, lambda: c.dataset is not None and c.plan is not None, 120)
        assert side.source.value == str(tmp_path / "faces.npy")
        assert any("(opened)" in label for label in side.source.options)
        assert side.lr.value == c.learning_rate == c.plan.params["learning_rate"]
        assert c.reconstruction_weight == 50.0
        assert side.live["reconstruction_weight"].end >= 50.0  # the value is on the slider
        side.source.value = "digits"  # choosing the built-in set now is a change: it loads
        poll_until(c, lambda: c.dataset is not None and c.dataset.name == "digits", 60)
        assert side.lr.value == c.learning_rate == 1e-2


def test_save_right_after_restart_says_why_and_raises_nothing():
    from app.views.sidebar import Sidebar

    with open_state(load_digits(limit=300), prebuild=False, n_epochs=300) as c:
        side = Sidebar(state=c)
        c.train()
        side.save._clicks += 1  # what pressing Save model sends; the run has just started
        assert "Stop training (or let it finish)" in c.error and side.save.data is None
        c.stop()


# -- the page's words and pictures ----------------------------------------------------------
def test_plain_words_with_the_engines_names_in_tooltips():
    from app.data_choices import display_name
    from app.state import SessionState
    from app.views import status
    from pumap_core import Snapshot

    assert SessionState.param.n_neighbors.label == "Neighbours per point"
    assert "n_neighbors" in SessionState.param.n_neighbors.doc
    assert display_name("mnist-all", "mnist-all") == "MNIST"
    done = Snapshot(step=2376, epoch=52.8, n_epochs=100, elapsed=30.0, losses={},
                    extra={"total_steps": 2376})
    text = status.status_text("done", done)
    assert "stopped early, at epoch 52.8 of at most 100: the map had stopped improving" in text
    from app.views.curves import label

    assert label("global") == "global structure" and label("umap") == "neighbourhoods (UMAP)"


def test_hover_names_what_an_item_has_and_digit_sliders_name_a_class():
    from app.views.item_html import attribute_summary
    from app.views.steer import first_sliders, slider_label

    row = pd.Series({"5_o_Clock_Shadow": 0, "Bald": 0, "Eyeglasses": 1, "Male": 1,
                     "Smiling": 1, "Wavy_Hair": 1})
    assert attribute_summary(row) == "Smiling, Male, Eyeglasses, Wavy_Hair"
    assert slider_label("3", from_labels=True) == "class 3"
    assert first_sliders(["Bald", "Young", "Male", "Smiling", "Eyeglasses"]) == \
        ["Smiling", "Male", "Eyeglasses", "Young"]
    assert first_sliders([str(d) for d in range(10)]) == [str(d) for d in range(6)]


def test_a_formed_map_of_a_few_thousand_points_is_not_drawn_in_single_pixels():
    from app.views.shading import min_spread, shade_frame

    assert min_spread(1797, 800, 560) >= 1 and min_spread(70_000, 800, 560) == 0
    xy = np.zeros((1797, 2), np.float32)  # a tight cluster: dynspread alone would not grow it
    image = shade_frame(xy, np.zeros(1797, np.int64), 1, None, (-1, 1), (-1, 1), 200, 200)
    assert (image[..., 3] > 0).sum() >= 9


def test_the_click_ring_follows_its_item_as_the_map_moves():
    from app.frame import Frame
    from app.views.scatter import ScatterView

    with open_state(load_digits(limit=200), prebuild=False, n_epochs=2) as c:
        c.train(wait=True)
        c.poll()
        view = ScatterView(state=c)
        hv.renderer("bokeh").get_plot(view.plot)
        f = c.frame
        c.click_at(float(f.xy[7, 0]), float(f.xy[7, 1]))
        assert c.click.on_point and c.click.nearest == 7
        moved = f.z.copy()
        moved[7] += 0.5 * (moved.max(0) - moved.min(0))
        c.frame = Frame.of(moved, f.step + 1)
        assert view.marker.data == [tuple(map(float, c.frame.xy[7]))]


def test_the_status_announces_the_search_the_library_will_run():
    from app import prepare
    from pumap_core.data import Dataset
    from pumap_core.graph.neighbors import choose_knn_method as knn_method_for

    rng = np.random.default_rng(0)
    faces = Dataset(images=rng.integers(0, 256, (6000, 32, 32, 3), dtype=np.uint8))
    assert knn_method_for(faces.n_samples, faces.n_features) == "approx"  # "auto" would
    assert prepare.search(faces) == "exact"  # ... but the face settings ask for exact
    assert "compiles" not in prepare.progress_text(faces, True, 3.0)
    wide = Dataset(X=np.zeros((20_000, 300), np.float32))
    assert prepare.search(wide) == "approx"
    assert "compiles the neighbour search" in prepare.progress_text(wide, True, 3.0)


def test_decoded_rows_are_named_like_the_datas_columns():
    from app.views.item_html import decoded_html
    from pumap_core.data import Dataset

    cells = Dataset(X=np.ones((3, 2), np.float32), feature_names=["CD3E", "NKG7"])
    html = decoded_html(cells, np.array([0.5, 1.5]), "", "decoded")
    assert "CD3E" in html and "NKG7" in html and "x0" not in html


def test_save_model_still_downloads_when_it_can():
    from app.views.sidebar import Sidebar

    with open_state(load_digits(limit=200), prebuild=False, n_epochs=2) as c:
        c.train(wait=True)
        c.poll()
        side = Sidebar(state=c)
        side.save._clicks += 1  # what the browser sends when the button is pressed
        assert side.save.data and side.save.data.startswith("data:")
        assert c.error == ""
