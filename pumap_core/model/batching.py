"""How large a training step is, by device: the ``"auto"`` batch, its learning rate, its epochs.

On a CPU a step's cost grows with its batch, and 256 edges a step is the
measured best (``benchmarks/results/engine_choices.md``). On an accelerator a
step of a few thousand edges costs about what one of 256 does (a step is a
few dozen kernel launches, whatever their size), so an ``"auto"`` batch there
is larger: 1,024 edges, with the learning rate doubled (the square root of the
batch ratio). On MNIST that reaches the map of 256-edge steps in a fifth of
the steps, as good or better over three seeds. 4,096 edges at the same rate
take a fifteenth of the steps but lose about .005 to .008 of held-out
trustworthiness and 5-NN accuracy; doubling their rate again did worse, and so
did a four times longer plan, whose learning rate stays high until the map
has converged (``benchmarks/results/batch_study_cpu.md``). The edge budget
stays.
"""

from __future__ import annotations

import numpy as np
import torch

#: the "auto" batch on the CPU
CPU_BATCH = 256
#: the "auto" batch on CUDA and MPS devices
ACCELERATOR_BATCH = 1024
#: how much faster an "auto" batch on an accelerator learns: √(1024 / 256)
ACCELERATOR_RATE_SCALE = 2.0
#: ``n_epochs=None`` trains at most about this many sampled edges, by device type
#: (bounded by :data:`AUTO_EPOCHS`); the convergence monitor usually stops sooner
AUTO_EDGE_SAMPLES = {"cpu": 6_000_000, "accelerator": 6_000_000}
AUTO_EPOCHS = (10, 100)


def on_accelerator(device: torch.device) -> bool:
    return torch.device(device).type != "cpu"


def batch_size(batch: int | str, device: torch.device) -> int:
    """Edges a step: ``batch`` itself, or for ``"auto"`` the device's batch."""
    if batch != "auto":
        return int(batch)
    return ACCELERATOR_BATCH if on_accelerator(device) else CPU_BATCH


def learning_rate(rate: float, batch: int | str, device: torch.device) -> float:
    """The rate a run trains at: ``rate`` as set, scaled with the batch when the
    batch is ``"auto"`` on an accelerator (a chosen batch keeps the rate chosen)."""
    if batch == "auto" and on_accelerator(device):
        return float(rate) * ACCELERATOR_RATE_SCALE
    return float(rate)


def epoch_cap(edge_mass: float, device: torch.device) -> int:
    """The most epochs ``n_epochs=None`` trains on a graph of this edge mass."""
    budget = AUTO_EDGE_SAMPLES["accelerator" if on_accelerator(device) else "cpu"]
    low, high = AUTO_EPOCHS
    return int(np.clip(round(budget / max(edge_mass, 1.0)), low, high))
