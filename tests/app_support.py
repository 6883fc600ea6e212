"""Helpers for the app's tests without a browser."""

from __future__ import annotations

import time


def poll_until(state, predicate, timeout: float = 60.0) -> None:
    """Run the page's poll (as its periodic callback would) until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state.poll()
        if predicate():
            return
        time.sleep(0.03)
    raise AssertionError("condition not met in time")
