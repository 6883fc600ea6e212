"""Changes to a session's Bokeh document from any thread, made where Bokeh allows them.

Frames are shaded in the session's callback thread (``panel serve
--num-threads``), and browser events may be handled on pool threads; but a
Bokeh document may only change while its session holds the document lock,
on the server's event loop. A change made elsewhere raises
``RuntimeError: _pending_writes should be non-None`` (two tabs opening at the
same moment made it happen). :class:`DocumentOutbox` hands each change to the
document's next tick, and keeps only the newest one of each kind in flight:
a burst of frames never queues up (holoviews#5178).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import panel as pn


class DocumentOutbox:
    """Runs callables on ``doc``'s event loop tick (at once without a server session)."""

    def __init__(self, doc=None) -> None:
        self.doc = doc if doc is not None else pn.state.curdoc
        self._lock = threading.Lock()
        self._newest: dict[str, Callable[[], None]] = {}

    @property
    def served(self) -> bool:
        doc = self.doc
        return doc is not None and doc.session_context is not None

    def send(self, kind: str, change: Callable[[], None]) -> None:
        """Make ``change`` on the document: the newest ``change`` of each ``kind`` wins."""
        if not self.served:
            change()  # tests and benchmarks: no server, no lock to respect
            return
        with self._lock:
            queued = kind in self._newest
            self._newest[kind] = change
        if not queued:
            self.doc.add_next_tick_callback(lambda: self._flush(kind))

    def _flush(self, kind: str) -> None:
        with self._lock:
            change = self._newest.pop(kind, None)
        if change is not None:
            change()
