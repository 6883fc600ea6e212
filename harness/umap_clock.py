"""Timestamps inside a umap-learn fit: when its graph is done and when each epoch ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class UmapClock:
    """Timestamps inside one umap-learn fit, in seconds since it was called."""

    start: float = 0.0
    graph_done: float | None = None
    epoch_ends: list[float] = field(default_factory=list)

    def elapsed(self) -> float:
        """Seconds since the fit was called."""
        return time.perf_counter() - self.start


@contextmanager
def umap_learn_clock(model: Any, clock: UmapClock | None = None) -> Iterator[UmapClock]:
    """Time umap-learn's graph stage and each epoch while ``model`` fits.

    ``UMAP.fit`` (and its ``ParametricUMAP``) hands the finished graph to
    ``self._fit_embed_data`` (wrapped on the instance), whose SGD loops
    ``for n in tqdm(range(n_epochs))`` in ``umap.layouts`` (that name is
    wrapped: after each epoch's body, the iterator is asked for the next value
    and records the time). Both are restored on exit, which also keeps the
    model picklable. ``clock.start`` is set when the block starts.
    """
    import umap.layouts

    clock = clock if clock is not None else UmapClock()
    inner_embed, inner_tqdm = model._fit_embed_data, umap.layouts.tqdm

    def embed(*args: Any, **kwargs: Any) -> Any:
        clock.graph_done = clock.elapsed()
        return inner_embed(*args, **kwargs)

    def epochs(iterable: Any, **kwargs: Any) -> Iterator[int]:
        for n in inner_tqdm(iterable, **kwargs):
            yield n
            clock.epoch_ends.append(clock.elapsed())

    model._fit_embed_data, umap.layouts.tqdm = embed, epochs
    try:
        clock.start = time.perf_counter()
        yield clock
    finally:
        umap.layouts.tqdm = inner_tqdm
        del model._fit_embed_data  # back to the class's method
