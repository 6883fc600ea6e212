"""Browser fixtures: a real `panel serve app` subprocess and Debian's Chromium.

The server fixture always kills its process group; screenshots and the
server log go to test-artifacts/ (gitignored, kept by CI as artefacts).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
WS_OPEN = "Websocket connection 0 is now open"
WARM = "warm-up finished"  # the server's log line once datashader and torch are compiled
FIRST_RENDER_S = 45  # the first render under load; DESIGN §2 says allow >= 15 s


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not found (apt-get install chromium)"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"panel serve exited with {proc.returncode}; see test-artifacts/")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _wait_log(text: str, proc: subprocess.Popen, timeout: float,
              log_name: str = "server.log") -> None:
    deadline = time.monotonic() + timeout
    while text not in server_log(log_name):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise TimeoutError(f"{text!r} not in the server log after {timeout:.0f} s")
        time.sleep(0.5)


@contextlib.contextmanager
def serve_app(log_name: str = "server.log", **env: str):
    """URL of a fresh `panel serve app` on 127.0.0.1 with extra ``env`` (killed at the end,
    whatever happens); its log goes to test-artifacts/``log_name``."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    env = {**os.environ, "PUMAP_APP_TORCH_THREADS": "1", "PYTHONUNBUFFERED": "1", **env}
    log = open(ARTIFACTS / log_name, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "app", "--port", str(port),
         "--address", "127.0.0.1", "--num-threads", "2", "--allow-websocket-origin",
         f"127.0.0.1:{port}", "--check-unused-sessions", "1000", "--unused-session-lifetime",
         "5000",  # a closed tab frees its session within ~6 s; page loads need < 5 s
         "--liveness"],  # /liveness answers without rendering a session
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/app"
    try:
        _wait_http(f"http://127.0.0.1:{port}/liveness", proc, 90)
        _wait_log(WARM, proc, 180, log_name)  # no page asked for yet: the server warms up alone
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
        log.close()


@pytest.fixture(scope="session")
def server():
    """URL of a fresh `panel serve app` on 127.0.0.1."""
    with serve_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


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


def server_log(log_name: str = "server.log") -> str:
    return (ARTIFACTS / log_name).read_text(errors="replace")


def shot(page, name: str, locator=None) -> bytes:
    ARTIFACTS.mkdir(exist_ok=True)
    target = locator if locator is not None else page
    return target.screenshot(path=str(ARTIFACTS / f"{name}.png"))
