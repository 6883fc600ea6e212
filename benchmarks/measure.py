"""Measuring helpers for the core benchmark: peak memory, repeated timings, the machine.

Peak memory is the process's resident-set high-water mark (``VmHWM`` in
``/proc/self/status``). Before each measured phase the mark is reset to the
current RSS by writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0), so
one process can measure several methods one after another, torch, numba and
TensorFlow allocations included (``tracemalloc`` sees none of those). Where
the reset is not allowed, ``ru_maxrss`` is used instead: a lifetime maximum,
so only phases that raise it are measured exactly (the method says so).
"""

from __future__ import annotations

import os
import platform
import re
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM), or None off Linux."""
    try:
        match = re.search(rf"^{field}:\s+(\d+)\s+kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak() -> bool:
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
    exact = _reset_peak() and _status_kib("VmHWM") is not None
    mem.method = PEAK_METHOD_HWM if exact else PEAK_METHOD_MAXRSS
    mem.start_mb = rss_mb()
    try:
        yield mem
    finally:
        if exact:
            mem.peak_mb = (_status_kib("VmHWM") or 0) * 1024 / 1e6
        else:
            mem.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), seconds)`` by the wall clock."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


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


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(distribution: str) -> str:
    """Installed version of a distribution, without importing it ("not installed")."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _tensorflow_version() -> str:
    for dist in ("tensorflow-cpu", "tensorflow"):
        version = package_version(dist)
        if version != "not installed":
            return f"{version} ({dist})"
    return "not installed"


def machine_info(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Date, CPU, cores, memory, load and library versions, for the report header."""
    import numba
    import torch

    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError):
        mem_gb = float("nan")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    info = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{mem_gb:.0f} GB",
        "load average (1/5/15 min, at start)": " / ".join(f"{x:.1f}" for x in load),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch threads": str(torch.get_num_threads()),
        "numba threads": str(numba.get_num_threads()),
        "umap-learn": package_version("umap-learn"),
        "scikit-learn": package_version("scikit-learn"),
        "numpy": package_version("numpy"),
        "tensorflow": _tensorflow_version(),
        "peak memory method": PEAK_METHOD_HWM if _reset_peak() else PEAK_METHOD_MAXRSS,
    }
    info.update(extra or {})
    return info
