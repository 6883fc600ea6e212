"""Shared fixtures: small real data (scikit-learn's bundled digits) and the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # two cores: tests share them with Chromium and servers


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
