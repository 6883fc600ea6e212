"""End to end: a folder of transform-output Parquet parts opens as a map (Dask), and a box
selection over it is counted."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from .conftest import plot_canvas, server_log, shot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
MS = 1000
N = 2000


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """``transform --workers 2``'s layout: row, umap_0, umap_1, label, label_name."""
    rng = np.random.default_rng(0)
    label = rng.integers(0, 3, N)
    table = pd.DataFrame({"row": np.arange(N), "umap_0": rng.normal(size=N) + 3 * label,
                          "umap_1": rng.normal(size=N), "label": label,
                          "label_name": np.array(["ant", "bee", "cat"])[label]})
    folder = tmp_path_factory.mktemp("umap-parts")
    for i, rows in enumerate(np.array_split(np.arange(N), 2)):
        table.iloc[rows].to_parquet(folder / f"part-{i:04d}.parquet", index=False)
    return folder


def test_table_folder_opens_as_a_map_and_box_selects(page, parts):
    page.locator(".path-input input").fill(str(parts))
    page.wait_for_timeout(500)
    page.locator(".open-path button").click()
    legend = page.locator(".legend-pane")
    legend.get_by_text(f"{N:,} rows").wait_for(timeout=60 * MS)
    legend.get_by_text("bee").wait_for(timeout=10 * MS)
    page.get_by_text(re.compile(r"a map of 2,000 rows in 2 Parquet")).wait_for(timeout=10 * MS)
    canvas = plot_canvas(page)
    page.wait_for_timeout(1500)  # the shaded image arrives
    shot(page, "table-01-map")

    page.locator(".bk-tool-icon-box-select").first.click()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8, steps=8)
    page.mouse.up()
    count = page.locator(".selection-count .count-text")
    count.get_by_text(re.compile(r"[1-9][\d,]* selected of 2,000")).wait_for(timeout=30 * MS)
    page.locator(".selection-gallery").get_by_text(re.compile("showing 30 of")).wait_for(timeout=10 * MS)
    shot(page, "table-02-box")
    assert "Traceback" not in server_log()
