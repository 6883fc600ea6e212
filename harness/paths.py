"""Where the repository, its result folders and the real data are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARK_RESULTS = REPO / "benchmarks" / "results"
EXPERIMENT_RESULTS = REPO / "experiments" / "results"


def data_dir(arg: str | Path | None = None) -> Path:
    """The folder holding mnist/, celeba/, ...: ``arg``, else $PUMAP_DATA_DIR, else
    ``../shared/data`` beside the repository (the team's shared copies)."""
    if arg:
        return Path(arg)
    env = os.environ.get("PUMAP_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"
