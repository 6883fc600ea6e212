"""Pay one-off costs when the server starts, not on the first page or frame.

datashader compiles its kernels (~1.5–7 s here), and torch's first forward /
backward pass initialises its kernels (~2.5 s). Both happen once per process,
in a background thread started by ``app/app_hooks.py`` when the server loads.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

log = logging.getLogger(__name__)
_started = threading.Event()
finished = threading.Event()


class ClosedSocketFilter(logging.Filter):
    """Drops the traceback of a write to a browser tab that has just closed.

    Bokeh writes a frame's messages one after another; when the tab closes in
    between, tornado raises WebSocketClosedError inside a task nobody awaits, and
    asyncio logs it as an error. Nothing is wrong: the session is torn down a few
    seconds later (its poll stops sending as soon as no connection is left).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from tornado.iostream import StreamClosedError
        from tornado.websocket import WebSocketClosedError

        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (WebSocketClosedError, StreamClosedError))


def configure_logging() -> None:
    """Session starts and ends, and the warm-up, go to the server log (once per process)."""
    root = logging.getLogger("app")
    if root.handlers:
        return
    for name in ("asyncio", "tornado.application"):
        logging.getLogger(name).addFilter(ClosedSocketFilter())
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


def start_warm_up() -> None:
    """:func:`warm_up` in a background thread, once per process."""
    if not _started.is_set():
        _started.set()
        threading.Thread(target=warm_up, name="pumap-warm-up", daemon=True).start()


def warm_up() -> None:
    t0 = time.perf_counter()
    import holoviews  # noqa: F401 - imported here, not by the first page
    import panel  # noqa: F401

    from . import dashboard  # noqa: F401
    from .views.shading import warm_up as warm_shading

    warm_shading()
    try:
        import torch

        from pumap_core import ParametricUMAP

        from .worker import TORCH_THREADS

        torch.set_num_threads(TORCH_THREADS)
        X = np.random.default_rng(0).random((60, 64), dtype=np.float32)
        ParametricUMAP(n_epochs=1, n_neighbors=5, reconstruction=True, random_state=0).fit(
            X, snapshot_embedding="all", callback=lambda s: None)
    except Exception as e:  # noqa: BLE001 - warming up must never stop the server
        log.warning("torch warm-up failed: %s", e)
    finished.set()
    log.info("warm-up finished in %.1f s", time.perf_counter() - t0)
