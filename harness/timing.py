"""Wall-clock timing of calls: once, repeated, and per 1,000 rows."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), seconds)`` by the wall clock."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


@dataclass
class Repeats:
    """Timings of repeated calls: the first (cold) call and the warm ones after it."""

    first_s: float
    warm_s: list[float]
    result: Any = None

    @property
    def median_s(self) -> float:
        """Median of the warm calls (the first call when there were none)."""
        return statistics.median(self.warm_s) if self.warm_s else self.first_s


def repeat(fn: Callable[[], Any], warm: int) -> Repeats:
    """Call ``fn`` once cold and ``warm`` more times; keep the last result."""
    result, first = timed(fn)
    times = []
    for _ in range(warm):
        result, seconds = timed(fn)
        times.append(seconds)
    return Repeats(first_s=first, warm_s=times, result=result)


def seconds_per_1000(fn: Callable[[np.ndarray], Any], Z: np.ndarray, repeats: int) -> float:
    """Median seconds of ``repeats`` calls ``fn(Z)``, per 1,000 rows of ``Z``.

    A call on a few rows first compiles and allocates (umap-learn's numba code
    compiles on first use) without paying a full extra call of a slow method.
    """
    fn(Z[: min(len(Z), 16)])
    calls = repeat(lambda: fn(Z), max(repeats, 1) - 1)
    return statistics.median([calls.first_s, *calls.warm_s]) * 1000.0 / len(Z)
