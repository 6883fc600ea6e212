"""Helpers for the app's tests without a browser."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 60.0, every: float = 0.03) -> T:
    """The first truthy value of ``predicate()``: background threads report when they do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")


def poll_until(state, predicate: Callable[[], object], timeout: float = 60.0) -> None:
    """Run the page's poll (as its periodic callback would) until ``predicate()`` holds."""
    def polled():
        state.poll()
        return predicate()

    wait_for(polled, timeout)


def finished_run(state, **settings):
    """``state`` after a short run with ``settings`` has finished (Train, waited for)."""
    state.param.update(**settings)
    state.train(wait=True)
    state.poll()
    assert state.phase == "done", state.error
    return state


@contextmanager
def open_state(dataset=None, prebuild: bool = True, root=None, **settings) -> Iterator:
    """A SessionState with ``dataset`` loaded and ``settings`` applied, closed on exit
    (its training and graph threads stop, as when a browser tab closes). ``root``: the
    folder paths must lie in (:class:`app.data_root.DataRoot`), default any path."""
    from app.data_root import DataRoot
    from app.state import SessionState

    state = SessionState(root=root or DataRoot(None))
    try:
        if dataset is not None:
            state.worker.set_dataset(dataset, prebuild=prebuild)
            state.poll()
        state.param.update(**settings)
        yield state
    finally:
        state.close()
