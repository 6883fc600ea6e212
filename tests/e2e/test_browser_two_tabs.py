"""End to end: two tabs opened at the same moment both train and decode a click, and the
server logs no traceback (a frame sent from a pool thread used to break a document)."""

from __future__ import annotations

import pytest

from .conftest import ARTIFACTS, plot_canvas, server_log, shot, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

MS = 1000


def test_two_tabs_opened_together_both_work(server, browser):
    pages = [browser.new_page(viewport={"width": 1400, "height": 900}) for _ in range(2)]
    try:
        for page in pages:
            page.goto(server, wait_until="commit")  # the second asks before the first is up
        for page in pages:
            page.locator(".status-line").get_by_text("Ready").wait_for(timeout=90 * MS)
            page.locator(".epochs input").fill("400")
            page.locator(".epochs input").press("Enter")
            page.locator(".train button").click()
        for i, page in enumerate(pages):
            wait_status(page, r"step [1-9]", 90)
            page.wait_for_timeout(2000)
            box = plot_canvas(page).bounding_box()
            page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
            page.locator(".click-pane img.decoded").wait_for(timeout=30 * MS)
            shot(page, f"two-tabs-{i}")
            page.locator(".stop button").click()
        assert "Traceback" not in server_log(), (ARTIFACTS / "server.log")
    finally:
        for page in pages:
            page.close()
