"""The library on a CUDA device: fit, transform, persistence, decoding, both kinds of model,
the classifier head, the device graph and a step that never synchronises.

Run with ``python -m pytest -m cuda``; every test skips where torch sees no CUDA device.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pumap_core import ParametricUMAP, TwoCode
from pumap_core.eval.metrics import trustworthiness

pytestmark = pytest.mark.cuda


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return ParametricUMAP(n_epochs=10, reconstruction=True, random_state=0,
                          device="cuda").fit(X[:1000])


def test_fit_and_transform_on_the_gpu(fitted, digits):
    X, _ = digits
    assert fitted.device_.type == "cuda"
    assert next(fitted.encoder_.parameters()).is_cuda
    assert trustworthiness(X[1000:], fitted.transform(X[1000:]), 5) > 0.9


def test_a_model_saved_on_the_gpu_loads_on_the_cpu(fitted, digits, tmp_path):
    X, _ = digits
    fitted.save(tmp_path / "gpu.pumap")
    on_cpu = ParametricUMAP.load(tmp_path / "gpu.pumap", device="cpu")
    assert on_cpu.device_.type == "cpu"
    np.testing.assert_allclose(on_cpu.transform(X), fitted.transform(X), atol=1e-4)
    codes = fitted.transform(X[:5])
    np.testing.assert_allclose(on_cpu.inverse_transform(codes), fitted.inverse_transform(codes),
                               atol=1e-4)


def test_two_code_model_on_the_gpu(digits):
    X, _ = digits
    model = ParametricUMAP(n_epochs=5, two_code=TwoCode(6, map_epochs=2), reconstruction=True,
                           random_state=0, device="cuda").fit(X[:600])
    assert model.encode(X[:10]).shape == (10, 6)
    assert model.decode(model.encode(X[:10])).shape == (10, 64)
    assert model.inverse_transform(model.transform(X[:10])).shape == (10, 64)


def test_semi_supervised_head_on_the_gpu(digits):
    X, y = digits
    labels = np.where(np.arange(len(y)) % 10 == 0, y, -1)
    model = ParametricUMAP(n_epochs=10, random_state=0, device="cuda").fit(X, labels)
    assert (model.predict(X) == y).mean() > 0.8


def test_the_gpu_builds_the_cpus_graph(digits):
    from pumap_core.graph import fuzzy_torch
    from pumap_core.graph.fuzzy import fuzzy_simplicial_set
    from pumap_core.graph.neighbors import nearest_neighbors

    X, _ = digits
    idx, dist = nearest_neighbors(X, 15, method="exact", device="cuda")
    ref_idx, ref_dist = nearest_neighbors(X, 15, method="exact", device="cpu")
    np.testing.assert_allclose(dist, ref_dist, atol=1e-4)  # ties may swap equal neighbours
    ref, _, _ = fuzzy_simplicial_set(ref_idx, ref_dist, 15)
    got, _, _ = fuzzy_torch.fuzzy_simplicial_set(ref_idx, ref_dist, 15, device="cuda")
    assert got.nnz == ref.nnz and abs(got - ref).max() < 1e-5


@pytest.mark.parametrize("negatives", ["batch_all", "uniform", "in_batch"])
def test_a_step_never_waits_for_the_gpu(digits, negatives):
    """CUDA's own sync debugger raises on any operation that makes the host wait."""
    from pumap_core.graph import build_graph
    from pumap_core.nets import ClassifierHead, MLPDecoder, MLPEncoder
    from pumap_core.training import loop
    from pumap_core.training.live import TrainingControls

    X, y = digits
    cuda = torch.device("cuda")
    labels = torch.from_numpy(np.where(np.arange(len(y)) % 4 == 0, y, -1)).to(cuda)
    inputs = torch.from_numpy(X).to(cuda)
    data = loop.TrainingData(inputs=inputs, edges=build_graph(X, 15).edges, targets=inputs,
                             labels=labels)
    nets = loop.Networks(MLPEncoder(64, 2).to(cuda), MLPDecoder(2, 64).to(cuda),
                         ClassifierHead(100, 10).to(cuda))
    config = loop.TrainingConfig(n_epochs=5, batch_size=512, negatives=negatives,
                                 reconstruction_weight=1.0, classifier_weight=1.0,
                                 global_correlation_weight=0.3, input_noise=0.05,
                                 reconstruction_rows=64, readback_steps=10**9, seed=0)
    run = loop.start(nets, data, config, TrainingControls(), cuda)
    loop.take_step(run)  # the first step creates the optimiser's state
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(20):
            loop.take_step(run)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    run.tally.read_back()
    assert np.isfinite(run.tally.last["total"])


def test_nan_rows_are_named_when_the_gpu_finds_them(fitted, digits):
    X = digits[0][:50].copy()
    X[7, 3] = np.nan
    with pytest.raises(ValueError, match=r"NaN .*first in row 7"):
        fitted.transform(X)
