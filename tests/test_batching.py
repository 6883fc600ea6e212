"""The "auto" step size by device: 256 edges on the CPU, 1,024 on accelerators with the
learning rate scaled to match; a chosen batch or rate stays as chosen."""

from __future__ import annotations

import pytest
import torch

from pumap_core import ParametricUMAP
from pumap_core.model import batching
from pumap_core.model.params import check_params


def test_auto_batch_follows_the_device_and_a_chosen_batch_stays():
    assert batching.batch_size("auto", torch.device("cpu")) == 256
    assert batching.batch_size("auto", torch.device("cuda")) == batching.ACCELERATOR_BATCH
    assert batching.batch_size("auto", torch.device("mps")) == batching.ACCELERATOR_BATCH
    assert batching.batch_size(512, torch.device("cuda")) == 512


def test_only_an_auto_batch_on_an_accelerator_scales_the_rate():
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert batching.learning_rate(1e-2, "auto", cuda) == pytest.approx(
        1e-2 * batching.ACCELERATOR_RATE_SCALE)
    assert batching.learning_rate(1e-2, "auto", cpu) == 1e-2
    assert batching.learning_rate(1e-2, 1024, cuda) == 1e-2


def test_the_edge_budget_caps_the_epochs():
    mnist_mass = 392_792.0
    cpu = batching.epoch_cap(mnist_mass, torch.device("cpu"))
    gpu = batching.epoch_cap(mnist_mass, torch.device("cuda"))
    assert cpu == gpu == 15
    assert batching.epoch_cap(1.0, torch.device("cpu")) == batching.AUTO_EPOCHS[1]
    assert batching.epoch_cap(1e9, torch.device("cuda")) == batching.AUTO_EPOCHS[0]


def test_a_cpu_fit_takes_256_edge_steps(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(n_epochs=2, init=None, random_state=0)
    assert model.get_params()["batch_size"] == "auto"
    model.fit(X)
    mass = float(model.graph_.edges.weight.sum())
    assert model.loss_history_[-1]["step"] == 2 * -(-mass // 256)
    assert model.learning_rate_ == model.learning_rate


@pytest.mark.parametrize("bad", [0, -5, 2.5, "large"])
def test_a_bad_batch_size_is_named(bad):
    with pytest.raises(ValueError, match="batch_size"):
        check_params(ParametricUMAP(batch_size=bad))
