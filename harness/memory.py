"""Peak and current memory of this process, per measured phase.

Peak memory is the process's resident-set high-water mark (``VmHWM`` in
``/proc/self/status``). Before each measured phase the mark is reset to the
current RSS by writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0), so
one process can measure several methods one after another, torch, numba and
TensorFlow allocations included (``tracemalloc`` sees none of those). Where
the reset is not allowed, ``ru_maxrss`` is used instead: a lifetime maximum,
so only phases that raise it are measured exactly (the method says so).
"""

from __future__ import annotations

import re
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM), or None off Linux."""
    try:
        match = re.search(rf"^{field}:\s+(\d+)\s+kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def reset_peak() -> bool:
    """Reset the RSS high-water mark to the current RSS; False where not allowed."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def rss_mb() -> float:
    """Current resident set size in MB (1e6 bytes)."""
    kib = _status_kib("VmRSS")
    if kib is None:  # not Linux: the lifetime maximum is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    return kib * 1024 / 1e6


@dataclass
class PeakMemory:
    """Filled in by :func:`peak_memory` when its block ends."""

    start_mb: float = float("nan")
    peak_mb: float = float("nan")
    method: str = ""

    @property
    def delta_mb(self) -> float:
        """Peak over the RSS at the start of the block."""
        return self.peak_mb - self.start_mb


PEAK_METHOD_HWM = "VmHWM reset per phase (/proc/self/clear_refs)"
PEAK_METHOD_MAXRSS = "ru_maxrss (process lifetime maximum; reset not allowed)"


@contextmanager
def peak_memory() -> Iterator[PeakMemory]:
    """Measure the peak RSS of the block: ``with peak_memory() as mem: ...; mem.peak_mb``."""
    mem = PeakMemory()
    exact = reset_peak() and _status_kib("VmHWM") is not None
    mem.method = PEAK_METHOD_HWM if exact else PEAK_METHOD_MAXRSS
    mem.start_mb = rss_mb()
    try:
        yield mem
    finally:
        if exact:
            mem.peak_mb = (_status_kib("VmHWM") or 0) * 1024 / 1e6
        else:
            mem.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
