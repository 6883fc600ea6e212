"""The Dask map of an embedding table (transform's Parquet output), at toy size: it renders in
the labels' colours, and its brushes and clicks agree with numpy on the same points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from datashader.colors import rgb

pytest.importorskip("dask.dataframe")

from app.dask_map import DaskMap, is_embedding_table  # noqa: E402
from app.html_blocks import PALETTE  # noqa: E402
from app.views.shading import shade_table  # noqa: E402
from tests.app_support import open_state, poll_until  # noqa: E402

N = 20_000
NAMES = np.array(["left", "right"], dtype=object)


def embedding_table(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Two labelled clusters, left and right, a few unlabelled rows: transform's columns."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    label[rng.random(n) < 0.02] = -1
    x = np.where(label == 1, 4.0, -4.0) + rng.normal(size=n)
    return pd.DataFrame({"row": np.arange(n), "umap_0": x.astype(np.float32),
                         "umap_1": rng.normal(size=n).astype(np.float32), "label": label,
                         "label_name": np.where(label >= 0, NAMES[np.maximum(label, 0)], None),
                         "score": rng.random(n)})


@pytest.fixture(scope="module")
def table_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("umap-parts")
    table = embedding_table()
    for i, rows in enumerate(np.array_split(np.arange(N), 4)):
        table.iloc[rows].to_parquet(folder / f"part-{i:04d}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def dmap(table_dir) -> DaskMap:
    return DaskMap.open(table_dir)


@pytest.fixture(scope="module")
def plot_xy(dmap) -> np.ndarray:
    """The rows in the scatter's plot coordinates, as numpy sees them."""
    t = embedding_table()
    return np.column_stack([(t.umap_0 - dmap.center[0]) / dmap.scale,
                            (t.umap_1 - dmap.center[1]) / dmap.scale])


def test_opens_lazily_with_labels_and_extent(table_dir, dmap):
    assert is_embedding_table(table_dir) and is_embedding_table(table_dir / "part-0000.parquet")
    assert not is_embedding_table(table_dir / "missing")
    assert dmap.n_rows == N and dmap.ddf.npartitions == 4
    assert dmap.categories == ["left", "right"] and dmap.label == "label_name"
    assert abs(dmap.center[0]) < 0.5 and 4 < dmap.scale < 7


def test_renders_in_the_labels_colours(dmap):
    image = shade_table(dmap, (-1.15, 1.15), (-1.15, 1.15), 200, 150)
    assert image.shape == (150, 200, 4)
    seen = image[..., 3] > 0
    assert seen.sum() > 500
    colours = {tuple(rgb(c)) for c in PALETTE[:2]}
    left = {tuple(p) for p in image[:, :90][seen[:, :90]][:, :3]}
    right = {tuple(p) for p in image[:, 110:][seen[:, 110:]][:, :3]}
    assert tuple(rgb(PALETTE[0])) in left and tuple(rgb(PALETTE[1])) in right
    pure = [p for p in left | right if p in colours]
    assert len(pure) == 2  # mixed pixels only where the clusters meet


def test_box_and_lasso_count_like_numpy(dmap, plot_xy):
    x, y = plot_xy[:, 0], plot_xy[:, 1]
    brush = dmap.brush_box(0.5, -0.3, -0.9, 0.4)  # corners in any order
    inside = (x >= -0.9) & (x <= 0.5) & (y >= -0.3) & (y <= 0.4)
    assert brush.count == inside.sum() > 0
    labels = embedding_table().label.to_numpy()[inside]
    assert dict((n, c) for n, c, _ in brush.counts) == {
        k: v for k, v in {"left": (labels == 0).sum(), "right": (labels == 1).sum(),
                          "unlabelled": (labels == -1).sum()}.items() if v}
    assert len(brush.rows) == 30 and set(brush.rows.row) <= set(np.flatnonzero(inside))

    xs, ys = [-0.9, 0.5, 0.5, -0.9], [-0.3, -0.3, 0.4, 0.4]
    assert dmap.brush_polygon(xs, ys).count == brush.count
    triangle = dmap.brush_polygon([-1, 1, 0], [-1, -1, 1])
    from matplotlib.path import Path

    expected = Path(np.c_[[-1, 1, 0], [-1, -1, 1]]).contains_points(plot_xy).sum()
    assert abs(triangle.count - expected) <= 2  # points on the edges may go either way


def test_click_finds_the_brute_force_nearest(dmap, plot_xy):
    for x, y in [(0.1, 0.2), (-0.7, -0.1), (1.1, 1.1)]:
        picked = dmap.nearest(x, y)
        d = np.hypot(plot_xy[:, 0] - x, plot_xy[:, 1] - y)
        assert picked.row["row"] == int(np.argmin(d))
        assert picked.distance == pytest.approx(d.min(), rel=1e-4)


def test_integer_labels_and_no_labels(tmp_path):
    t = embedding_table(2000)
    t.drop(columns=["label_name"]).to_parquet(tmp_path / "codes.parquet")
    t.drop(columns=["label_name", "label"]).to_parquet(tmp_path / "plain.parquet")
    codes = DaskMap.open(tmp_path / "codes.parquet")
    assert codes.categories == ["0", "1"]
    assert {n for n, _, _ in codes.brush_box(-2, -2, 2, 2).counts} == {"0", "1", "unlabelled"}
    plain = DaskMap.open(tmp_path / "plain.parquet")
    assert plain.categories == ["all"] and plain.brush_box(-2, -2, 2, 2).count == 2000
    assert (shade_table(plain, (-1.15, 1.15), (-1.15, 1.15), 64, 48)[..., 3] > 0).any()


def test_app_opens_the_table_as_a_map(table_dir, data):
    import holoviews as hv

    hv.extension("bokeh")
    from app.views.inspector import InspectPanel
    from app.views.scatter import ScatterView
    from app.views.selection import SelectionPanel

    with open_state() as state:
        scatter, panel = ScatterView(state=state), SelectionPanel(state=state)
        inspect = InspectPanel(state=state)
        state.load(str(table_dir))
        poll_until(state, lambda: state.table is not None, 60)
        assert state.dataset is None and state.phase == "empty"
        assert "20,000 rows" in state.dataset_info and "20,000 rows" in scatter.legend.object
        assert (scatter.last_image[..., 3] > 0).sum() > 100
        scatter._on_bounds(bounds=(-0.5, -0.5, 0.5, 0.5))
        assert "selected of 20,000" in panel.count.object and "showing 30 of" in panel.gallery.object
        scatter._on_tap(x=0.1, y=0.2)
        assert "row " in inspect.click.object
        state.worker.set_dataset(data, prebuild=False)  # other data replace the map
        poll_until(state, lambda: state.dataset is not None, 60)
        assert state.table is None
