"""End to end, a served app with a data root and an image set opened by path: the root
refuses /etc, ../.. and links out of it; a 400-image grey .npy set (Olivetti's size)
trains with the defaults to a map within a minute, and a click decodes a face; the
chooser follows the opened path; Save right after Restart says why, and logs nothing.

Faces come from CelebA under $PUMAP_DATA_DIR when it is there (else digits scaled
up to 64 px). Screenshots go to test-artifacts/image-set-*.png.
"""

from __future__ import annotations

import os

import pytest

from harness.image_sets import olivetti_like

from .conftest import plot_canvas, served_page, shot, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

MS = 1000
#: the map must be on the plot this soon after Train (two shared cores)
MAP_S = 60


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    olivetti_like(folder / "olivetti")
    os.symlink("/etc", folder / "system")  # a link inside the root to a folder outside
    return folder


@pytest.fixture(scope="module")
def page(root, browser):
    with served_page(browser, "server-image-set.log", app_args=["--data-root", str(root)]) as page:
        yield page


def open_path(page, text: str) -> None:
    page.locator(".path-input input").fill(text)
    page.wait_for_timeout(300)
    page.locator(".open-path button").click()


def test_the_live_sliders_are_above_the_fold(page):
    page.set_viewport_size({"width": 1400, "height": 900})
    last = page.locator(".reconstruction-weight").first.bounding_box()
    assert last["y"] + last["height"] <= 900, last


def test_the_root_refuses_etc_dotdot_and_links_out_and_the_page_goes_on(page):
    alert = page.locator(".error-alert .error-text")
    for path in ("/etc", "../..", "system/hostname"):
        open_path(page, path)
        alert.get_by_text(f"'{path}' is outside the data folder this server shares").wait_for(
            timeout=30 * MS)
        page.locator(".status-line").get_by_text("Ready").wait_for(timeout=10 * MS)
    shot(page, "image-set-01-refused")
    assert page.locator(".source-select select").input_value().startswith("digits")


def test_a_400_image_grey_set_trains_to_a_map_within_a_minute_and_decodes(page):
    open_path(page, "olivetti/images.npy")
    page.get_by_text("olivetti: 400 items").wait_for(timeout=60 * MS)
    hint = page.locator(".plot-hint .hint-text")
    hint.get_by_text("A default run takes").wait_for(timeout=60 * MS)
    assert "(opened)" in page.locator(".source-select select").inner_text()
    items = page.locator(".legend-pane .legend-item")  # labels.npy beside it gave the classes
    items.first.wait_for(timeout=30 * MS)
    assert items.count() == 10 and items.get_by_text("all", exact=True).count() == 0
    page.locator(".train button").click()
    text = wait_status(page, r"step [1-9]", MAP_S)  # the first map is on the plot
    assert "steps per second" in text and "edges/s" not in text and "lr=" not in text
    page.wait_for_timeout(2000)
    shot(page, "image-set-02-map")
    box = plot_canvas(page).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    face = page.locator(".click-pane img.decoded")
    face.wait_for(timeout=30 * MS)
    assert face.get_attribute("src").startswith("data:image/png;base64,")
    shot(page, "image-set-03-decoded")


def test_choosing_a_built_in_set_after_an_opened_path_loads_it(page):
    page.locator(".source-select select").select_option(label="digits (1,797 · 8×8)")
    page.get_by_text("digits: 1,797 items").wait_for(timeout=60 * MS)
    wait_status(page, r"^Ready", 60)  # the run on the opened set was stopped for it


def test_save_pressed_as_a_finished_run_restarts_logs_nothing(page):
    """Save model pressed right after Restart: the server either saves the finished model
    (the press came first) or says why not; it never logs a traceback and the page goes
    on (tests/test_app_walk.py checks the message itself, without the race)."""
    page.locator(".epochs input").fill("3")
    page.locator(".epochs input").press("Enter")
    page.locator(".train button").click()
    wait_status(page, r"^Done", 90)
    page.locator(".epochs input").fill("300")
    page.locator(".epochs input").press("Enter")
    page.wait_for_timeout(300)
    page.locator(".train button").click()  # Restart ...
    page.locator(".save-model").click(force=True)  # ... and Save at once
    wait_status(page, r"step [1-9]", 60)
    page.locator(".stop button").click()
    wait_status(page, r"^Stopped", 60)
    assert "Traceback" not in page.server_log.read_text(errors="replace")
