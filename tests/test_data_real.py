"""Checks on the team's real copies of MNIST and CelebA (skipped when absent).

The data live beside the repository (``../shared/data``) or wherever
``PUMAP_DATA_DIR`` points; they are never part of the repository.
"""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from pumap_core.data import available_datasets, load

DATA_DIR = Path(
    os.environ.get("PUMAP_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
MNIST, CELEBA = DATA_DIR / "mnist", DATA_DIR / "celeba"
needs_mnist = pytest.mark.skipif(
    not (MNIST / "train-labels-idx1-ubyte.gz").is_file(),
    reason=f"real MNIST not found in {MNIST} (set PUMAP_DATA_DIR)",
)
needs_celeba = pytest.mark.skipif(
    not (CELEBA / "list_attr_celeba.txt").is_file(),
    reason=f"real CelebA not found in {CELEBA} (set PUMAP_DATA_DIR)",
)
TRAIN_LABELS_SHA256 = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"


@needs_mnist
def test_real_mnist_labels_checksum_and_load():
    raw = gzip.decompress((MNIST / "train-labels-idx1-ubyte.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == TRAIN_LABELS_SHA256
    ds = load("mnist-test", data_dir=DATA_DIR, limit=500)
    assert ds.X.shape == (500, 784) and ds.image_shape == (28, 28)
    assert 0.0 <= ds.X.min() and ds.X.max() <= 1.0
    assert ds.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # MNIST's first test digits
    assert {"mnist", "mnist-test"} <= set(available_datasets(DATA_DIR))


@needs_celeba
def test_real_celeba_subset():
    ds = load("celeba", data_dir=DATA_DIR, limit=50)
    assert ds.images.shape == (50, 64, 64, 3) and ds.images.dtype == np.uint8
    assert ds.X.shape == (50, 64 * 64 * 3)
    assert ds.attributes.shape == (50, 40)
    assert {"Smiling", "Eyeglasses", "Male"} <= set(ds.attributes.columns)
    assert set(np.unique(ds.attributes.to_numpy())) <= {0, 1}
    assert ds.attributes.index[0] == "000001.jpg"
