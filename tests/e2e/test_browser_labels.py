"""End to end, labelling as you explore: brush two clusters of digits, name them, watch the
map recoloured by the classifier's predictions, undo, export; then new rows joining
training while the old map stays.

Clusters are found as a person finds them: by their colour on the screen (colour by
label), then brushed with the lasso around them. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import colorsys
import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from app.html_blocks import PALETTE

from .conftest import plot_canvas, shot, status, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]
MS = 1000
TOOLBAR_PX = 45
#: where the brushed clusters are on the page (the map holds them there)
CENTRES: dict[str, np.ndarray] = {}


def hue_of(color: str) -> float:
    r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


def hues(page) -> tuple[np.ndarray, np.ndarray]:
    """The plot's coloured pixels: their (x, y) on the page and their hue in degrees."""
    canvas = plot_canvas(page)
    box = canvas.bounding_box()
    rgb = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB"), np.float32)
    rgb /= 255.0
    top, low = rgb.max(2), rgb.min(2)
    saturated = (top - low) > 0.2
    saturated[:TOOLBAR_PX] = False  # the toolbar's icons are drawn on the same canvas
    ys, xs = np.nonzero(saturated)
    hsv = np.array([colorsys.rgb_to_hsv(*rgb[y, x]) for y, x in zip(ys, xs, strict=True)])
    scale = box["width"] / rgb.shape[1]
    return np.c_[box["x"] + xs * scale, box["y"] + ys * scale], hsv[:, 0] * 360


def near(hue: np.ndarray, color: str, tolerance: float = 7.0) -> np.ndarray:
    d = np.abs(hue - hue_of(color))
    return np.minimum(d, 360 - d) <= tolerance


def brush(page, centre: np.ndarray, radius: float = 22.0) -> None:
    """A square lasso around ``centre`` (page pixels)."""
    cx, cy = centre
    page.mouse.move(cx - radius, cy - radius)
    page.mouse.down()
    for x, y in ((cx + radius, cy - radius), (cx + radius, cy + radius),
                 (cx - radius, cy + radius), (cx - radius, cy - radius + 2)):
        page.mouse.move(x, y, steps=6)
    page.mouse.up()


def cluster_centre(page, color: str) -> np.ndarray:
    xy, hue = hues(page)
    mine = xy[near(hue, color)]
    assert len(mine) > 20, f"no cluster of colour {color} on the plot"
    return np.median(mine, 0)


def open_labels_tab(page) -> None:
    page.locator(".side-tabs").locator(".bk-tab", has_text="Labels").click()
    page.locator(".label-name input").wait_for(timeout=30 * MS)


def label_cluster(page, centre: np.ndarray, name: str) -> None:
    open_labels_tab(page)
    brush(page, centre)
    page.locator(".label-selected").get_by_text("points selected").wait_for(timeout=30 * MS)
    page.wait_for_timeout(500)
    open_labels_tab(page)  # a click's decode, arriving late, may have opened the Click tab
    field = page.locator(".label-name input")
    field.fill(name)
    page.wait_for_timeout(400)  # the typed name reaches the server
    page.locator(".label-selection button").click()
    page.locator(".classes-list").get_by_text(name).wait_for(timeout=30 * MS)


def share_in(page, colors: tuple[str, ...]) -> tuple[float, int]:
    """The share of the plot's coloured pixels in ``colors``, and how many are coloured."""
    _, hue = hues(page)
    return float(np.mean(np.any([near(hue, c) for c in colors], axis=0))), len(hue)


def test_two_brushed_clusters_recolour_the_map_by_prediction(page):
    page.locator(".epochs input").fill("25")
    page.locator(".epochs input").press("Enter")
    page.locator(".train button").click()
    wait_status(page, r"^Done", 180)
    page.wait_for_timeout(1000)
    before, coloured = share_in(page, PALETTE[:2])  # by the true labels: ten colours
    zero, one = (cluster_centre(page, color) for color in PALETTE[:2])
    CENTRES.update(zero=zero, one=one)
    open_labels_tab(page)
    label_cluster(page, zero, "zero")
    label_cluster(page, one, "one")  # the map is held: the cluster is where it was
    legend = page.locator(".legend-pane")
    legend.get_by_text("one").wait_for(timeout=30 * MS)
    wait_status(page, r"^Done", 180)
    page.get_by_role("button", name="Clear selection").click()  # no points greyed out
    page.wait_for_timeout(1500)
    after, now_coloured = share_in(page, PALETTE[:2])
    shot(page, "labels-01-predicted")
    assert before < 0.45 and after > 0.9, (before, after)  # every point: zero or one
    assert now_coloured > 0.5 * coloured  # the whole map, not the brushed points
    page.locator(".classes-list").get_by_text(re.compile(r"one.*predicted")).wait_for(
        timeout=30 * MS)


def test_click_shows_class_probabilities(page):
    centre = cluster_centre(page, PALETTE[0])
    page.mouse.click(*centre)
    probs = page.locator(".class-probabilities")
    probs.wait_for(timeout=30 * MS)
    text = probs.inner_text()
    assert "zero" in text and "one" in text and "%" in text


def test_undo_takes_the_last_label_back(page):
    open_labels_tab(page)
    page.locator(".undo-label button").click()
    page.locator(".notice").get_by_text("Undone").wait_for(timeout=30 * MS)
    classes = page.locator(".classes-list")
    for _ in range(60):
        if "one" not in classes.inner_text():
            break
        page.wait_for_timeout(250)
    assert "one" not in classes.inner_text() and "zero" in classes.inner_text()
    wait_status(page, r"^Done", 180)
    label_cluster(page, CENTRES["one"], "one")  # labelled again, for the export
    wait_status(page, r"^Done", 180)


def test_export_holds_labels_and_predictions(page):
    page.wait_for_timeout(1500)  # the final model's predictions reach the page
    tables = []
    for kind, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        with page.expect_download(timeout=30 * MS) as download:
            page.locator(f".export-{kind} button").click()
        tables.append(read(download.value.path()))
    for table in tables:
        assert len(table) == 1797
        counts = table["label"].value_counts()
        assert counts["zero"] > 0 and counts["one"] > 0
        assert set(table["predicted"]) == {"zero", "one"}
        assert table["confidence"].between(0.5, 1.0).all()
    assert "Traceback" not in status(page)


def rows_file(folder, classes, name: str):
    from pumap_core.data import load_digits

    digits = load_digits()
    keep = np.isin(digits.labels, classes)
    frame = pd.DataFrame(digits.X[keep], columns=[f"p{i}" for i in range(digits.n_features)])
    frame["label"] = digits.labels[keep]
    path = folder / name
    frame.to_parquet(path)
    return path


def test_new_rows_form_clusters_while_the_old_map_stays(page, tmp_path):
    old = rows_file(tmp_path, range(5), "digits-0-4.parquet")
    new = rows_file(tmp_path, range(5, 10), "digits-5-9.parquet")
    page.locator(".path-input input").fill(str(old))
    page.wait_for_timeout(400)
    page.locator(".open-path button").click()
    wait_status(page, r"^Ready", 120)
    page.locator(".train button").click()
    wait_status(page, r"^Done", 180)
    page.locator(".add-path input").fill(str(new))
    page.wait_for_timeout(400)
    page.locator(".add-data button").click()
    page.locator(".legend-pane").get_by_text(re.compile(r"new: digits-5-9")).wait_for(
        timeout=30 * MS)
    open_labels_tab(page)
    page.locator(".train-added button").click()
    page.locator(".notice").get_by_text("new rows beside").wait_for(timeout=30 * MS)
    text = wait_status(page, r"^Done.*old points moved", 240)
    moved = float(re.search(r"old points moved ([\d.]+)", text).group(1))
    assert moved <= 1.0, text  # the old map stays: under one neighbour distance
    page.wait_for_timeout(1500)
    shot(page, "labels-02-new-rows-trained")
    xy, hue = hues(page)
    width = plot_canvas(page).bounding_box()["width"]
    centres = {digit: np.median(xy[near(hue, PALETTE[digit], 6.0)], 0) for digit in range(5)}
    clusters = []
    for digit in (5, 6, 8, 9):  # 7's navy is too dark to find by its hue
        mine = xy[near(hue, PALETTE[digit], 6.0)]
        if len(mine) <= 20:
            continue  # drawn over (or mixed with) another colour: no cluster to measure
        centre = np.median(mine, 0)
        spread = np.median(np.linalg.norm(mine - centre, axis=1))
        gap = min(np.linalg.norm(centre - c) for c in centres.values())
        if spread < 0.12 * width and gap > 0.04 * width:  # compact, away from the old ones
            clusters.append(digit)
    assert len(clusters) >= 3, clusters  # the new classes form clusters of their own
