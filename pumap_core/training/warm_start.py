"""The warm start: regress the encoder onto a starting layout before UMAP's loss.

One row per sample instead of one edge: cheap. UMAP's loss then refines a map
whose global arrangement is already in place (see :mod:`.initialization` for
the layouts).
"""

from __future__ import annotations

import torch
from torch import nn

from . import distributed
from .live import TrainingControls
from .optimizer import adam
from .step import with_noise


def warm_start(encoder: nn.Module, inputs: torch.Tensor, layout: torch.Tensor, steps: int,
               batch_size: int, learning_rate: float, noise: float = 0.0,
               generator: torch.Generator | None = None,
               controls: TrainingControls | None = None) -> torch.Tensor:
    """Regress ``encoder`` onto ``layout`` (mean squared error) for ``steps`` steps of
    ``batch_size`` rows, in random order; returns the last loss as a device tensor
    (reading it is left to the caller: no step waits for the device)."""
    optimizer = adam(encoder.parameters(), learning_rate)
    n, device = inputs.shape[0], inputs.device
    loss = torch.zeros((), device=device)
    order = torch.randperm(n, generator=generator, device=device)
    at = 0
    encoder.train(True)
    for _ in range(steps):
        if controls is not None:
            controls.checkpoint()
        if at + batch_size > n:
            order, at = torch.randperm(n, generator=generator, device=device), 0
        rows = order[at:at + batch_size]
        at += batch_size
        z = encoder(with_noise(inputs[rows], noise, generator))
        loss = torch.nn.functional.mse_loss(z, layout[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        distributed.average_gradients(encoder.parameters())
        optimizer.step()
    return loss.detach()
