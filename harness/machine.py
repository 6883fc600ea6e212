"""The machine, the library versions and the code a run used, for report headers."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from harness.memory import PEAK_METHOD_HWM, PEAK_METHOD_MAXRSS, reset_peak
from harness.paths import REPO


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
        "peak memory method": PEAK_METHOD_HWM if reset_peak() else PEAK_METHOD_MAXRSS,
    }
    info.update(extra or {})
    return info


def code_version() -> str:
    """The commit the run used, and whether pumap_core had uncommitted changes."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "pumap_core")
    return commit + (" (pumap_core has uncommitted changes)" if dirty else "")
