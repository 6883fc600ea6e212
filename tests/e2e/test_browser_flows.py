"""End to end, a new user's path on digits: the hint, a short run, a lasso, new rows on the map.

One page for the module, in order. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from .conftest import WARM, lasso, plot_canvas, server_log, shot, status, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
MS = 1000


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """Digits rows as files: 64 features (placeable) and 10 (not)."""
    from pumap_core.data import load_digits

    X = load_digits().X
    folder = tmp_path_factory.mktemp("rows")
    np.save(folder / "more-digits.npy", X[1000:1400])
    np.save(folder / "narrow.npy", X[:50, :10])
    return folder


def test_server_warmed_up_before_the_first_page(page):
    log = server_log()
    assert log.index(WARM) < log.index(" opened")


def test_empty_plot_says_press_train(page):
    hint = page.locator(".plot-hint .hint-text")
    hint.get_by_text("Press Train").wait_for(timeout=30 * MS)
    assert "digits (1,797 items)" in hint.inner_text()


def test_short_run_then_lasso_opens_the_selection(page):
    page.locator(".epochs input").fill("8")
    page.locator(".epochs input").press("Enter")
    page.locator(".train button").click()
    wait_status(page, r"^Done", 120)
    assert page.locator(".plot-hint .hint-text").count() == 0
    lasso(page)  # without opening the Selection tab first
    count = page.locator(".selection-count .count-text")
    count.wait_for(state="visible", timeout=30 * MS)
    assert re.search(r"[1-9][\d,]* selected of 1,797", count.inner_text())
    shot(page, "flow-01-lasso")


def test_status_stays_in_view_when_the_page_scrolls(page):
    page.set_viewport_size({"width": 1300, "height": 650})
    try:
        page.mouse.move(1150, 600)  # over the side panel, not the plot (its wheel zooms)
        for _ in range(10):  # a busy page may take a few wheel events to scroll
            page.mouse.wheel(0, 3000)
            page.wait_for_timeout(500)
            if page.locator(".loss-pane").bounding_box()["y"] < 650:
                break
        losses = page.locator(".loss-pane").bounding_box()
        assert losses["y"] < 650, "the page did not scroll"
        line = page.locator(".status-line").bounding_box()
        assert 0 <= line["y"] < 650 - line["height"], line
    finally:  # the next tests need the full page back, whatever happened here
        page.mouse.wheel(0, -30000)
        page.set_viewport_size({"width": 1500, "height": 1100})


def place_rows(page, path) -> None:
    """Type the path of new rows, then press "Place on the map", as a person does."""
    page.locator(".add-path input").fill(str(path))
    page.wait_for_timeout(500)  # a person types, then clicks: the typed path reaches the server
    page.locator(".add-data button").click()


def test_new_rows_land_on_the_map(page, rows):
    place_rows(page, rows / "more-digits.npy")
    legend = page.locator(".legend-pane")
    legend.get_by_text("new: more-digits (400)").wait_for(timeout=30 * MS)
    line = page.locator(".status-line .added-status")
    line.wait_for(timeout=30 * MS)
    assert re.search(r"\+400 new rows \(more-digits\) placed at [\d,]+ rows per second", line.inner_text())
    lasso(page, 0.42)
    count = page.locator(".selection-count .count-text")
    count.get_by_text(re.compile(r"of 2,197 \([1-9][\d,]* new\)")).wait_for(timeout=30 * MS)
    shot(page, "flow-02-new-rows")
    box = plot_canvas(page).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.locator(".click-pane img.decoded").wait_for(timeout=30 * MS)


def test_rows_with_other_features_get_a_clear_message(page, rows):
    place_rows(page, rows / "narrow.npy")
    alert = page.locator(".error-alert .error-text")
    alert.get_by_text("features per item").wait_for(timeout=30 * MS)
    shot(page, "flow-03-wrong-features")
    assert "narrow.npy" in alert.inner_text() and "with 64" in alert.inner_text()
    assert "Traceback" not in server_log()
    assert status(page).startswith("Done")  # the page goes on


def test_reset_forgets_the_new_rows_and_what_was_said_of_them(page, rows):
    place_rows(page, rows / "more-digits.npy")
    page.locator(".notice").get_by_text("Placed 400 new rows").wait_for(timeout=30 * MS)
    page.locator(".reset button").click()
    wait_status(page, r"^Ready", 30)
    page.locator(".hover-pane").get_by_text("Hover over a point").wait_for(timeout=30 * MS)
    assert page.locator(".notice").get_by_text("Placed").count() == 0
    assert page.locator(".legend-pane .legend-item").get_by_text("new:").count() == 0
