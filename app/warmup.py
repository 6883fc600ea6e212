"""Pay one-off costs when the server starts, not on the first frame after Train.

datashader compiles its kernels (~1.5–7 s here), and torch's first forward /
backward pass initialises its kernels (~2.5 s). Both happen once per process,
in a background thread started by ``app/main.py``.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

log = logging.getLogger(__name__)
_done = threading.Event()


def warm_up() -> None:
    if _done.is_set():
        return
    _done.set()
    from .views.shading import warm_up as warm_shading

    warm_shading()
    try:
        import torch

        from pumap_core import ParametricUMAP

        from .session import TORCH_THREADS

        torch.set_num_threads(TORCH_THREADS)
        X = np.random.default_rng(0).random((60, 64), dtype=np.float32)
        ParametricUMAP(n_epochs=1, n_neighbors=5, reconstruction=True, random_state=0,
                       snapshot_embedding="all", callback=lambda s: None).fit(X)
    except Exception as e:  # noqa: BLE001 - warming up must never stop the server
        log.warning("torch warm-up failed: %s", e)
