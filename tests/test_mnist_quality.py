"""The engine's quality target on real data (slow: run with ``pytest -m slow``).

Fits a 2-D embedding of the 60,000 MNIST training images with the default
settings and checks the 10,000 held-out test images, the protocol of the
paper's Table 1 (Parametric UMAP: trustworthiness .9573, 1-NN .9402).

This is a regression guard at the level measured on 2026-11-28
(trustworthiness .939–.941, 1-NN .916); the latest figures beside umap-learn's
are in benchmarks/results/engine_latest.md.
"""

import pytest

from pumap_core import ParametricUMAP
from pumap_core.eval.metrics import knn_accuracy, trustworthiness

pytestmark = pytest.mark.slow


def test_mnist_two_dimensional_embedding_is_trustworthy(shared_data_dir):
    from pumap_core.data import load

    train = load("mnist", data_dir=shared_data_dir)
    test = load("mnist-test", data_dir=shared_data_dir)
    model = ParametricUMAP(random_state=0).fit(train.X)
    Z_test = model.transform(test.X)
    assert trustworthiness(test.X, Z_test, k=5) >= 0.93
    assert knn_accuracy(model.embedding_, train.labels, Z_test, test.labels, k=1) >= 0.90
