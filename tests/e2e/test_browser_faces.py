"""End to end, faces: CelebA → Train → click → a face; a slider moves it, Reset puts it
back; the sliders come back after Restart and after loading a saved model.

A few hundred CelebA rows (PUMAP_APP_MAX_ROWS) keep it short on two cores. Needs
CelebA under $PUMAP_DATA_DIR (default ../shared/data); skips without it.
Screenshots go to test-artifacts/faces-*.png.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import holoviews as hv
import pytest

from .conftest import ARTIFACTS, FIRST_RENDER_S, plot_canvas, served_page, shot, wait_status

hv.extension("bokeh")
pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

MS = 1000
ROWS = 400
TRAIN_S = 25  # train this long, then Stop: the faces are rough but the model stays put


@pytest.fixture(scope="module")
def data_dir() -> Path:
    env = os.environ.get("PUMAP_DATA_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"
    if not (path / "celeba" / "list_attr_celeba.txt").is_file():
        pytest.skip(f"CelebA not found under {path} (set PUMAP_DATA_DIR)")
    return path


@pytest.fixture(scope="module")
def page(data_dir, browser):
    with served_page(browser, "server-faces.log", PUMAP_DATA_DIR=str(data_dir),
                     PUMAP_APP_MAX_ROWS=str(ROWS)) as page:
        yield page


def _train_then_stop(page) -> None:
    page.locator(".train button").click()
    wait_status(page, r"step [1-9]", FIRST_RENDER_S * 2)
    page.wait_for_timeout(TRAIN_S * MS)
    page.locator(".stop button").click()
    wait_status(page, r"^Stopped", 60)


def _click_plot(page) -> str:
    """Click the middle of the map; the decoded face's PNG (data URI)."""
    box = plot_canvas(page).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    face = page.locator(".click-pane img.decoded")
    face.wait_for(timeout=30 * MS)
    return face.get_attribute("src")


def _steered(page) -> str:
    img = page.locator(".shifted-pane img.steered")
    img.wait_for(timeout=30 * MS)
    return img.get_attribute("src")


def _wait_steered(page, differs_from: str | None = None, equals: str | None = None) -> str:
    for _ in range(120):
        src = _steered(page)
        if (differs_from is not None and src != differs_from) or (equals is not None and src == equals):
            return src
        page.wait_for_timeout(250)
    raise AssertionError("the steered face never changed as expected")


def _sliders(page):
    sliders = page.locator(".feature-slider .noUi-target")
    sliders.first.wait_for(timeout=30 * MS)
    return sliders


def test_celeba_train_click_shows_a_face(page):
    page.locator(".source-select select").select_option(label="CelebA (faces, 40 attributes)")
    wait_status(page, r"^Ready", 120)
    page.get_by_text(re.compile(f"CelebA: {ROWS} items")).wait_for(timeout=30 * MS)
    _train_then_stop(page)
    face = _click_plot(page)
    assert face.startswith("data:image/png;base64,")
    assert _sliders(page).count() >= 3
    shot(page, "faces-01-clicked")


def test_slider_moves_the_face_and_reset_restores_it(page):
    plain = _steered(page)
    assert plain == page.locator(".click-pane img.decoded").get_attribute("src")
    track = _sliders(page).first
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
    moved = _wait_steered(page, differs_from=plain)
    assert " sd" in page.locator(".shifted-pane figcaption").inner_text()
    shot(page, "faces-02-slider")
    page.locator(".reset-sliders button").click()
    assert _wait_steered(page, equals=plain) == plain != moved
    shot(page, "faces-03-reset")


def test_face_and_nine_sliders_stay_in_view_and_agree_while_training(page):
    """Smiling, Male, Eyeglasses, Young first; with five more there are nine sliders, and
    at 1400×900 the face and the last slider are both on screen. During training the
    caption (the drawn face's shift) always says what the sliders say."""
    page.set_viewport_size({"width": 1400, "height": 900})
    labels = page.locator(".feature-slider .bk-slider-title")
    assert [labels.nth(i).inner_text().split(":")[0] for i in range(4)] == \
        ["Smiling", "Male", "Eyeglasses", "Young"]
    pick = page.locator(".attribute-pick input")
    for name in ("Blond_Hair", "Wearing_Hat", "Bald", "Pale_Skin", "Goatee"):
        pick.click()
        pick.fill(name)
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
    page.keyboard.press("Escape")  # close the pick list
    sliders = _sliders(page)
    assert sliders.count() == 9
    page.locator(".train button").click()  # a new run: the face is steered while it trains
    wait_status(page, r"^Training .*step [1-9]", FIRST_RENDER_S * 2)
    page.wait_for_timeout(2000)
    face = _click_plot(page)
    assert face
    sliders = _sliders(page)
    for box in (page.locator(".shifted-pane img.steered").bounding_box(),
                sliders.nth(sliders.count() - 1).bounding_box()):
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900, box
    male = sliders.nth(1).bounding_box()
    page.mouse.click(male["x"] + male["width"] * 0.95, male["y"] + male["height"] / 2)
    shot(page, "faces-06-male")
    caption = page.locator(".shifted-pane figcaption")
    caption.get_by_text(re.compile(r"Male \+1\.[5-9]\d sd|Male \+2\.00 sd")).wait_for(timeout=30 * MS)
    page.wait_for_timeout(2000)  # any slower decode of an earlier value has finished too
    shown = float(re.search(r"Male: ([+-]?[\d.]+)", labels.nth(1).inner_text()).group(1))
    assert f"Male {shown:+.2f} sd" in caption.inner_text()  # the face shows the slider's value
    page.locator(".reset-sliders button").click()
    caption.get_by_text("no shift").wait_for(timeout=30 * MS)
    page.wait_for_timeout(2000)  # decodes still running when Reset was pressed have ended
    assert "no shift" in caption.inner_text()
    shot(page, "faces-06-nine-sliders")
    page.locator(".stop button").click()
    wait_status(page, r"^Stopped", 60)
    page.set_viewport_size({"width": 1500, "height": 1100})  # as the module's page began


def test_sliders_come_back_after_restart(page):
    with page.expect_download(timeout=60 * MS) as download:
        page.locator(".save-model").click()
    model = ARTIFACTS / "faces-model.safetensors"
    download.value.save_as(model)
    _train_then_stop(page)  # Restart: a new model
    assert page.locator(".shifted-pane img.steered").count() == 0  # the old click went
    _click_plot(page)
    assert _sliders(page).count() >= 3
    shot(page, "faces-04-after-restart")
    page.locator(".load-model input[type=file]").set_input_files(str(model))
    page.locator(".notice").get_by_text("Loaded model").wait_for(timeout=60 * MS)
    _click_plot(page)
    assert _sliders(page).count() >= 3 and _steered(page)
    shot(page, "faces-05-after-load")
