"""A 1,000,000-point map in the app's own objects: shaded, brushed and clicked (behaviour only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.frame import Frame
from app.views.selection import MAX_ROWS_SHOWN, SelectionPanel, selection_table
from app.views.shading import shade_frame
from pumap_core.data import Dataset

N = 1_000_000


@pytest.fixture(scope="module")
def million():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(N, 2)).astype(np.float32)
    frame = Frame.of(z)
    labels = rng.integers(0, 20, N)
    ds = Dataset(X=rng.random((N, 4), dtype=np.float32), labels=labels,
                 label_names=[f"class {i}" for i in range(20)], name="million")
    return frame, ds


def test_shade_brush_and_click_at_a_million(million):
    frame, ds = million
    lo, hi = np.percentile(frame.z, [0.5, 99.5], axis=0)
    assert np.allclose(frame.center, (lo + hi) / 2, atol=0.02)  # framed on a subsample
    selection = frame.in_box(-0.3, -0.3, 0.3, 0.3)
    xy = frame.xy
    inside = (np.abs(xy[:, 0]) <= 0.3) & (np.abs(xy[:, 1]) <= 0.3)
    assert np.array_equal(selection, np.flatnonzero(inside))
    lasso = frame.in_polygon([-0.3, 0.3, 0.3, -0.3], [-0.3, -0.3, 0.3, 0.3])
    assert abs(len(lasso) - len(selection)) <= 2

    for sel in (None, selection):
        image = shade_frame(xy, ds.labels, 20, sel, (-1.15, 1.15), (-1.15, 1.15), 200, 150)
        assert image.shape == (150, 200, 4) and (image[..., 3] > 0).mean() > 0.3

    for x, y in [(0.0, 0.0), (0.71, -0.2), (3.0, 3.0)]:  # the windowed search, no KD-tree
        d, rows = frame.neighbours(x, y, 32)
        brute = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        assert np.allclose(d, np.sort(brute)[:32], atol=1e-6)
        assert rows[0] == int(np.argmin(brute))
    assert frame.nearest(5.0, 5.0, max_distance=0.03) == -1  # hover far from every point


def test_selection_panel_at_half_a_million(million, state):
    frame, ds = million
    selection = np.arange(0, N, 2)
    state.param.update(shown=ds, frame=frame, selection=selection)
    panel = SelectionPanel(state=state)
    panel._update()
    assert "500,000</b> selected of 1,000,000" in panel.count.object
    assert f"showing {MAX_ROWS_SHOWN} of 500,000" in panel.gallery.object
    table = selection_table(ds, selection[:1000], frame)
    assert table["label"].iloc[1] == f"class {ds.labels[2]}"
    head = pd.read_csv(panel._csv(), nrows=3)
    assert list(head.columns[:2]) == ["index", "label"]
