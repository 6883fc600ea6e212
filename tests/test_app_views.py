"""Views as functions of the state, rendered to Bokeh models without a browser."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import pytest

from app import colors  # noqa: E402
from app.decode import Click  # noqa: E402
from app.frame import Frame  # noqa: E402
from app.progress import LossPoint  # noqa: E402
from app.state import SessionState  # noqa: E402
from app.views import status  # noqa: E402
from app.views.inspector import InspectPanel, click_html, hover_html, neighbours_html  # noqa: E402
from app.views.selection import MAX_THUMBS, SelectionPanel, histogram  # noqa: E402
from pumap_core import Snapshot
from pumap_core.data import Dataset, load_digits  # noqa: E402

hv.extension("bokeh")
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def clean_panel_state():
    yield
    pn.state.reset()


def random_frame(n, seed=0):
    return Frame.of(np.random.default_rng(seed).normal(size=(n, 2)).astype(np.float32), 7)


def test_color_codes_labels_and_attributes():
    n = 500
    rng = np.random.default_rng(0)
    attrs = pd.DataFrame({"age": rng.uniform(0, 90, n), "kind": rng.choice(list("abc"), n),
                          "id": [f"x{i}" for i in range(n)]})
    labels = rng.integers(-1, 3, n)
    ds = Dataset(X=rng.normal(size=(n, 3)).astype(np.float32), labels=labels,
                 label_names=["u", "v", "w"], attributes=attrs)
    codes, legend = colors.color_codes(ds, "label")
    assert [name for name, _ in legend] == ["u", "v", "w"]
    assert (codes[labels == -1] == colors.REST).all() and (codes[labels == 2] == 2).all()
    codes, legend = colors.color_codes(ds, "age")  # numeric with many values: quantile bins
    assert len(legend) == colors.N_BINS and codes.max() < colors.N_BINS
    codes, legend = colors.color_codes(ds, "id")  # too many categories: commonest + other
    assert len(legend) == colors.N_SLOTS and legend[-1][0] == "other"
    table = colors.frame_table(np.zeros((n, 2), np.float32), codes, len(legend), grey=True)
    assert (table["c"] == "rest").all() and len(table["c"].cat.categories) == len(legend) + 2


def test_status_line_shows_running_settings():
    p = Snapshot(step=120, epoch=2.5, n_epochs=10, elapsed=12.0, losses={},
                 edges_per_second=10240.0, extra={"total_steps": 480},
                 settings={"min_dist": 0.5, "global_correlation_weight": 0.25,
                           "learning_rate": 1e-3, "reconstruction_weight": 1.0})
    text = status.status_text("training", p)
    assert "Training" in text and "epoch 2.5 of 10" in text and "step 120 of 480" in text
    assert "min_dist 0.50" in text and "global structure 0.25" in text and "0:36 left" in text
    assert "10.0 steps per second" in text and "edges/s" not in text
    assert 'title="global_correlation_weight:' in text  # the engine's name, in a tooltip
    assert status.status_text("empty", None).count("No data") == 1
    q = status.quality_text({"trustworthiness": 0.91234, "distance_correlation": 0.5,
                             "step": 10, "n": 600})
    assert "0.912" in q and "0.500" in q and "600 items" in q


def test_dashboard_builds_and_validates(data):
    from bokeh.core.validation.check import check_integrity
    from bokeh.document import Document

    from app.dashboard import build

    template, state = build()
    try:
        doc = Document()
        template.server_doc(doc)
        assert not check_integrity(list(doc.roots)).error
        state.worker.set_dataset(data)
        state.poll()
        assert "300 items" in state.dataset_info
        state.frame = random_frame(data.n_samples)  # the scatter view shades it, legend and all
        legend = next(p for p in template.main[0].select(pn.pane.HTML)
                      if "legend-pane" in p.css_classes)
        assert legend.object.count("legend-item") == 10
        state.select_box(-1, -1, 1, 1)
        state.click_at(0.0, 0.0)
        state.worker.set_dataset(data.subset(np.arange(100)), prebuild=False)
        state.poll()  # one update clears selection and click together: every view follows
        assert state.dataset.n_samples == 100 and state.click is None and not len(state.selection)
    finally:
        state.close()


def test_scatter_renders_frames_and_selection(state, data):
    from app.views.scatter import ScatterView

    view = ScatterView(state=state)
    plot = hv.renderer("bokeh").get_plot(view.plot)
    state.frame = random_frame(data.n_samples)
    state.select_box(-0.5, -0.5, 0.5, 0.5)
    state.frame = random_frame(data.n_samples, seed=1)
    assert view.frames_sent == 3
    image = view.last_image
    assert image.shape[2] == 4 and image[..., 3].any()
    grey = (image[..., 0] == image[..., 1]) & (image[..., 1] == image[..., 2])
    assert (grey & (image[..., 3] > 0)).any() and (~grey & (image[..., 3] > 0)).any()
    assert isinstance(view.pipe.data, hv.RGB)
    view._on_tap(x=0.0, y=0.0)
    assert state.click is not None and state.click.nearest >= 0
    view._on_lasso(geometry=np.array([[-2, -2], [2, -2], [2, 2], [-2, 2]]))
    assert len(state.selection) > 0.9 * data.n_samples
    view._on_pointer(x=float(state.frame.xy[3, 0]), y=float(state.frame.xy[3, 1]))
    assert state.hover == 3
    state.color_by = "label"
    assert plot.state is not None


def test_selection_panel(state, data):
    panel = SelectionPanel(state=state)
    state.frame = random_frame(data.n_samples)
    state.selection = np.arange(100)
    assert "100</b> selected of 300" in panel.count.object
    assert panel.gallery.object.count("<img") == MAX_THUMBS
    assert not panel.download.disabled
    counts = histogram(data, np.arange(100))
    assert sum(c for _, c, _ in counts) == 100
    csv = pd.read_csv(panel._csv())
    assert list(csv.columns[:2]) == ["index", "label"] and len(csv) == 100
    state.clear_selection()
    assert panel.download.disabled and "Nothing selected" in panel.count.object


def test_inspect_panel_html(state, data):
    panel = InspectPanel(state=state)
    click = Click(x=0.0, y=0.0, z=np.zeros((1, 2), np.float32), nearest=4,
                  neighbours=np.array([1, 2, 3]), decoded=np.full(64, 0.5, np.float32), ms=3.0)
    html = click_html(data, click)
    assert html.count("<img") == 2 and 'class="decoded"' in html and "nearest real item #4" in html
    assert "empty space" in html
    assert neighbours_html(data, click).count("<img") == 3
    no_decoder = Click(x=0, y=0, z=np.zeros((1, 2)), message="no decoder: train with reconstruction")
    assert "no decoder" in click_html(data, no_decoder)
    state.click = no_decoder
    assert panel.retrain.visible
    assert "<img" in hover_html(data, 7) and "Hover" in hover_html(data, -1)


def test_loss_curves_table():
    from app.views.curves import LossCurves, loss_table

    points = [LossPoint(i, i / 10, i / 10, {"total": 2.0 / i, "umap": 1.0 / i}) for i in (1, 2, 3)]
    table = loss_table(points)
    assert list(table["step"]) == [1, 2, 3] and table["global"].isna().all()
    st = SessionState()
    curves = LossCurves(state=st)
    hv.renderer("bokeh").get_plot(curves.pane.object)
    st.losses = points  # ready (not training): drawn at once
    assert len(curves.pipe.data) == 3
    st.phase = "training"
    st.losses = points[:2]
    assert len(curves.pipe.data) == 3  # throttled while training


def test_sidebar_follows_phase(state):
    from app.views.sidebar import Sidebar

    sidebar = Sidebar(state=state)
    assert not sidebar.train.disabled and sidebar.pause.disabled and sidebar.save.disabled
    state.phase = "training"
    assert not sidebar.pause.disabled and not sidebar.stop.disabled and sidebar.resume.disabled
    assert sidebar.train.label == "Restart"
    state.phase = "paused"
    assert not sidebar.resume.disabled


def test_loss_chart_draws_every_term_with_a_legend_beside_it():
    from bokeh.models import Legend, PrintfTickFormatter

    from app.views.curves import _curves, loss_table

    weights = {"umap_weight": 1.0, "global_correlation_weight": 0.5, "reconstruction_weight": 1.0}
    points = [LossPoint(i, i / 10, i / 10, {"umap": 3.0 / i, "global": -0.4 - 0.1 * i,
                                            "reconstruction": 0.05 / i,
                                            "total": 3.0 / i - 0.5 * (0.4 + 0.1 * i) + 0.05 / i},
                        weights) for i in (1, 2, 3)]
    table = loss_table(points)
    assert (table["global"] > 0).all()  # w·(1 − r): drawable on a log axis
    assert (table["total"] >= table[["umap", "global", "reconstruction"]].max(axis=1)).all()
    np.testing.assert_allclose(table["global"], 0.5 * (1 - np.array([0.5, 0.6, 0.7])))
    fig = hv.renderer("bokeh").get_plot(_curves(table)).state
    assert any(isinstance(r, Legend) for r in fig.right)  # beside the curves, not over them
    assert isinstance(fig.yaxis[0].formatter, PrintfTickFormatter)
    assert fig.yaxis[0].ticker.desired_num_ticks <= 4


def test_plot_hint_says_what_to_do():
    from app.views.scatter import hint_text

    ds = load_digits(limit=40)
    assert "Press <b>Train</b> to embed digits (40 items)" in hint_text("ready", None, None, ds, "")
    assert "PCA preview" in hint_text("ready", None, object(), ds, "")
    assert "Loading mnist" in hint_text("ready", None, None, ds, "mnist")
    assert hint_text("training", random_frame(40), None, ds, "") == ""
