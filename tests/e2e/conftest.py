"""Browser fixtures: a real `panel serve app` subprocess and Debian's Chromium.

The server fixture always kills its process group; screenshots and the
server log go to test-artifacts/ (gitignored, kept by CI as artefacts).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app import process

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
WS_OPEN = "Websocket connection 0 is now open"
WARM = process.WARM
FIRST_RENDER_S = 45  # the first render on a loaded machine (two cores shared)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not found (apt-get install chromium)"))


@pytest.fixture(scope="session")
def server():
    """URL of a fresh, warmed-up `panel serve app` on 127.0.0.1 (stopped at the end)."""
    ARTIFACTS.mkdir(exist_ok=True)
    proc, url = process.start(ARTIFACTS / "server.log")
    try:
        yield url
    finally:
        process.stop(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page(server, browser):
    """One page on the app, shared by the tests of a module in order."""
    page = open_app(browser, server)
    yield page
    page.close()


@contextmanager
def served_page(browser, log_name: str, app_args: list[str] | None = None,
                **env: str) -> Iterator:
    """A page on a server of its own (``app_args``: ``panel serve app --args ...``; ``env``:
    its environment), stopped at the end; the page's ``server_log`` is the server's log."""
    ARTIFACTS.mkdir(exist_ok=True)
    proc, url = process.start(ARTIFACTS / log_name, app_args=app_args, **env)
    try:
        page = open_app(browser, url)
        page.server_log = ARTIFACTS / log_name
        yield page
        page.close()
    finally:
        process.stop(proc)


def open_app(browser, url: str):
    """A new page on the app, returned once its websocket is open and data is loaded."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.messages = messages
    page.goto(url, timeout=FIRST_RENDER_S * 1000)
    deadline = time.monotonic() + FIRST_RENDER_S
    while not any(WS_OPEN in m for m in messages):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no '{WS_OPEN}' in the console: {messages[-10:]}")
        page.wait_for_timeout(200)
    page.locator(".status-line").get_by_text("Ready").wait_for(timeout=FIRST_RENDER_S * 1000)
    return page


def server_log() -> str:
    return (ARTIFACTS / "server.log").read_text(errors="replace")


def shot(page, name: str, locator=None) -> bytes:
    ARTIFACTS.mkdir(exist_ok=True)
    target = locator if locator is not None else page
    return target.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def plot_canvas(page):
    canvas = page.locator(".scatter-pane canvas").first
    canvas.wait_for(timeout=FIRST_RENDER_S * 1000)
    return canvas


def status(page) -> str:
    return page.locator(".status-line .status-text").inner_text()


def wait_status(page, pattern: str, timeout_s: float = 60) -> str:
    regex = re.compile(pattern)
    text = ""
    for _ in range(int(timeout_s * 4)):
        text = status(page)
        if regex.search(text):
            return text
        page.wait_for_timeout(250)
    raise AssertionError(f"status never matched {pattern!r}; last: {text!r}")


def lasso(page, fraction: float = 0.35) -> None:
    """Drag a square lasso around the middle of the plot."""
    box = plot_canvas(page).bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    r = box["height"] * fraction
    page.mouse.move(cx - r, cy - r)
    page.mouse.down()
    for x, y in ((cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r), (cx - r, cy - r + 2)):
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
