"""Many users at once: N Chromium sessions against one `panel serve app`, each training digits.

Reports frames/s per session (as each page's status line reports it while it
trains), the server's RSS before any session, with the first session open,
at its peak and after every tab has closed, and every error a session saw
(an error alert on the page, a browser console error, a traceback in the
server log). Used by ``python -m benchmarks.bench_app --sessions N``.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

from app import process

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
FPS = re.compile(r"([\d.]+) frames/s")
#: RSS after close may exceed the first session's baseline by at most this (MB)
RSS_MARGIN_MB = 300


def _status(page) -> str:
    return page.locator(".status-line .status-text").inner_text()


def _open(browser, url: str, timeout_s: float = 120):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("requestfailed", lambda r: page.console_errors.append(f"request failed: {r.url}"))
    page.goto(url, timeout=timeout_s * 1000)
    page.locator(".status-line .status-text").get_by_text("Ready").wait_for(
        timeout=timeout_s * 1000)
    return context, page


def run(n_sessions: int, epochs: int, log_path: Path, timeout_s: float = 900) -> dict:
    from playwright.sync_api import sync_playwright

    proc, url = process.start(log_path, session_lifetime_ms=3000)
    rss = {"before any session": process.rss_mb(proc.pid)[0]}
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            sessions = [_open(browser, url)]
            rss["first session open (baseline)"] = process.rss_mb(proc.pid)[0]
            solo, _ = _train(sessions, epochs, timeout_s)  # the peer: one session alone
            sessions += [_open(browser, url) for _ in range(n_sessions - 1)]
            fps, done = _train(sessions, epochs, timeout_s)
            for i, (context, page) in enumerate(sessions):
                if not done[i]:
                    errors.append(f"session {i}: not done after {timeout_s:.0f} s: {_status(page)!r}")
                if page.locator(".error-alert .error-text").is_visible():
                    errors.append(f"session {i}: {page.locator('.error-alert').inner_text()}")
                errors += [f"session {i} console: {e}" for e in page.console_errors]
                context.close()
            browser.close()
        rss["peak"] = process.rss_mb(proc.pid)[1]
        closed = _wait_closed(log_path, n_sessions, 60)
        time.sleep(3.0)
        rss["after every tab closed"] = process.rss_mb(proc.pid)[0]
    finally:
        process.stop(proc)
    log = log_path.read_text(errors="replace")
    errors += [f"server: {line}" for line in log.splitlines() if "Traceback" in line or " ERROR " in line]
    growth = rss["after every tab closed"] - rss["first session open (baseline)"]
    return {"sessions": n_sessions, "epochs": epochs, "solo frames/s": solo[0],
            "sessions closed on the server": closed, "frames/s per session": fps,
            "rss_mb": rss, "rss after close - baseline (MB)": growth,
            "within margin": growth <= RSS_MARGIN_MB, "errors": errors}


def _train(sessions, epochs: int, timeout_s: float) -> tuple[list[float], list[bool]]:
    """Train digits in every session at once; the median frames/s each page reported."""
    for _, page in sessions:
        page.locator(".epochs input").fill(str(epochs))
        page.locator(".epochs input").press("Enter")
    for _, page in sessions:
        page.locator(".train button").click()
    fps: list[list[float]] = [[] for _ in sessions]
    done = [False] * len(sessions)
    t0 = time.monotonic()
    while not all(done) and time.monotonic() - t0 < timeout_s:
        for i, (_, page) in enumerate(sessions):
            text = _status(page)
            done[i] = text.startswith(("Done", "Failed"))
            if (m := FPS.search(text)) and text.startswith("Training"):
                fps[i].append(float(m.group(1)))
        time.sleep(1.0)
    return [statistics.median(f) if f else 0.0 for f in fps], done


def _wait_closed(log_path: Path, n: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        closed = log_path.read_text(errors="replace").count("closed: training stopped")
        if closed >= n or time.monotonic() > deadline:
            return closed
        time.sleep(0.5)


def report(r: dict) -> str:
    """The result as Markdown."""
    fps = r["frames/s per session"]
    lines = [f"{r['sessions']} Chromium sessions against one `panel serve app --num-threads 2`, "
             f"each training digits (1,797 items) for {r['epochs']} epochs at once, after the "
             "first one trained alone (the peer).", "",
             "| measure | value |", "|---|---|",
             "| frames/s per session (median while training) | "
             + ", ".join(f"{f:.1f}" for f in fps) + " |",
             f"| frames/s, mean over sessions | {statistics.fmean(fps):.2f} |",
             f"| frames/s of one session alone (same run) | {r['solo frames/s']:.2f} |"]
    lines += [f"| server RSS {k} (MB) | {v:.0f} |" for k, v in r["rss_mb"].items()]
    lines += [f"| RSS after close − first session's baseline (MB) | "
              f"{r['rss after close - baseline (MB)']:+.0f} (limit +{RSS_MARGIN_MB}) |",
              f"| sessions closed on the server | {r['sessions closed on the server']} |",
              f"| errors seen | {len(r['errors'])} |"]
    lines += [f"- {e}" for e in r["errors"][:20]]
    return "\n".join(lines) + "\n"
