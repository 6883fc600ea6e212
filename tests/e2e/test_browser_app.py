"""End to end: `panel serve app` in Chromium, driven by Playwright.

One page is shared by the tests of this module, in order: load → train →
live min_dist → lasso → click → bad path. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import time

import holoviews as hv
import pytest

from .conftest import FIRST_RENDER_S, lasso, open_app, server_log, shot
from .conftest import plot_canvas as _plot
from .conftest import status as _status
from .conftest import wait_status as _wait_status

hv.extension("bokeh")
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

MS = 1000


def test_page_loads(page):
    assert "Ready" in _status(page)
    assert page.locator(".source-select select").input_value().startswith("digits")
    shot(page, "01-loaded")


def test_train_changes_scatter(page):
    page.locator(".train button").click()
    _wait_status(page, r"step [1-9]", FIRST_RENDER_S)
    plot = _plot(page)
    page.wait_for_timeout(1500)
    first = shot(page, "02-training-a", plot)
    page.wait_for_timeout(3000)
    second = shot(page, "03-training-b", plot)
    assert first != second, "the scatter did not change while training"
    assert "Training" in _status(page)


def test_min_dist_reaches_running_loop(page):
    assert "min_dist 0.10" in _status(page)
    track = page.locator(".min-dist .noUi-target").first
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    text = _wait_status(page, r"min_dist 0\.[5-9]\d", 30)
    assert "min_dist 0.10" not in text
    shot(page, "04-min-dist")


def test_lasso_fills_selection(page):
    page.locator(".side-tabs").locator(".bk-tab", has_text="Selection").click()
    lasso(page)
    count = page.locator(".selection-count .count-text")
    count.wait_for(timeout=30 * MS)
    assert re.search(r"[1-9][\d,]* selected of 1,797", count.inner_text())
    page.locator(".selection-gallery img").first.wait_for(timeout=15 * MS)
    shot(page, "05-selection")


def test_click_shows_decoded_image(page):
    page.locator(".side-tabs").locator(".bk-tab", has_text="Click").click()
    box = _plot(page).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    decoded = page.locator(".click-pane img.decoded")
    decoded.wait_for(timeout=30 * MS)
    assert decoded.get_attribute("src").startswith("data:image/png;base64,")
    # on a point: that item; in empty space: the nearest one
    assert page.locator(".click-pane").get_by_text(
        re.compile("clicked item #|nearest real item #")).count() == 1
    shot(page, "06-click")


def test_bad_path_shows_error_and_page_still_works(page):
    page.locator(".path-input input").fill("/nonexistent/no-such-data.csv")
    page.locator(".open-path button").click()
    alert = page.locator(".error-alert .error-text")
    alert.get_by_text("Could not load").wait_for(timeout=30 * MS)
    assert "no such file" in alert.inner_text()
    shot(page, "07-bad-path")
    page.locator(".load-model input[type=file]").set_input_files(
        files=[{"name": "broken.safetensors", "mimeType": "application/octet-stream",
                "buffer": b"this is not a model"}])
    alert.get_by_text("Could not use the model file").wait_for(timeout=30 * MS)
    assert "broken.safetensors" in alert.inner_text()
    shot(page, "08-bad-model")
    before = _status(page)
    page.locator(".pause button").click()
    _wait_status(page, r"^Paused", 30)
    page.locator(".resume button").click()
    _wait_status(page, r"^Training", 30)
    assert _status(page) != before or "Training" in before


def test_closing_the_tab_stops_its_training(server, browser):
    other = open_app(browser, server)
    other.locator(".train button").click()
    _wait_status(other, r"step [1-9]", FIRST_RENDER_S)
    before = len(_closed_lines())
    other.close()  # the server drops the session a few seconds later (fixture flags)
    for _ in range(120):
        lines = _closed_lines()
        if len(lines) > before:
            break
        time.sleep(0.5)
    assert len(lines) > before, "the session was never closed"
    assert lines[-1].endswith("(worker alive: False)"), lines[-1]
    assert "Traceback" not in server_log(), "closing a tab logged a traceback"


def _closed_lines() -> list[str]:
    return [line for line in server_log().splitlines() if "closed: training stopped" in line]
