"""Shared fixtures: small real data (scikit-learn's bundled digits) and the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # two cores: tests share them with Chromium and servers


def _share_cores_between_workers() -> None:
    """Under pytest-xdist each worker gets its share of the cores for numba and BLAS:
    left unlimited, 16 workers of 16 threads each on 16 cores spend their time
    switching (fits that take seconds alone timed out after minutes)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers <= 1:
        return
    import numba
    from threadpoolctl import threadpool_limits

    share = max(1, (os.cpu_count() or 1) // workers)
    numba.set_num_threads(max(1, min(share, numba.config.NUMBA_NUM_THREADS)))
    threadpool_limits(share)


_share_cores_between_workers()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` skip where torch sees no CUDA device."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32) / 16.0, y


@pytest.fixture(scope="session")
def small_digits(digits) -> tuple[np.ndarray, np.ndarray]:
    X, y = digits
    return X[:400], y[:400]


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """../shared/data (or $PUMAP_DATA_DIR); tests needing it skip when it is missing."""
    env = os.environ.get("PUMAP_DATA_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"shared data folder not found at {path} (set PUMAP_DATA_DIR)")
    return path


@pytest.fixture(scope="module")
def data():
    """300 digits as a Dataset: the app tests' data (a run takes seconds)."""
    from pumap_core.data import load_digits

    return load_digits(limit=300)


@pytest.fixture
def state(data):
    """An app session with ``data`` loaded, as after the page opened; closed afterwards."""
    from tests.app_support import open_state

    with open_state(data) as s:
        yield s
