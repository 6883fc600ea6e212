"""A fitted network over many rows, as fast as the device allows.

On a GPU the network itself costs almost nothing (an MLP embeds a million
MNIST rows in milliseconds); what costs is moving the rows there and every
pass the host makes over them. So on an accelerator the rows are checked
for NaN and infinity on the device, chunk by chunk as they arrive, the
results stay there until the last chunk, and one copy brings them back. On
the CPU the rows are checked first, as everywhere else in the package.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..validation import check_finite

#: rows per chunk: on the CPU as the training loop embeds; on accelerators larger
#: chunks mean fewer copies (65,536 MNIST rows are 205 MB)
CPU_CHUNK = 16384
ACCELERATOR_CHUNK = 65536


def default_chunk(device: torch.device) -> int:
    return CPU_CHUNK if torch.device(device).type == "cpu" else ACCELERATOR_CHUNK


def run_rows(network: nn.Module, rows: np.ndarray, device: torch.device,
             chunk: int | None = None, name: str = "X") -> np.ndarray:
    """``network(rows)`` in eval mode without gradients, chunk by chunk; a ValueError
    naming the rows that hold NaN or infinity (found on the device off the CPU)."""
    device = torch.device(device)
    chunk = int(chunk or default_chunk(device))
    on_cpu = device.type == "cpu"
    if on_cpu:
        check_finite(rows, name)
    was_training = network.training
    network.eval()
    outputs: list[torch.Tensor] = []
    finite = torch.ones((), dtype=torch.bool, device=device)
    try:
        with torch.no_grad():
            for start in range(0, rows.shape[0], chunk):
                x = torch.from_numpy(rows[start:start + chunk]).to(device, non_blocking=True)
                if not on_cpu:
                    finite &= torch.isfinite(x).all()
                outputs.append(network(x).float())
    finally:
        network.train(was_training)
    if not on_cpu and not bool(finite):  # the one read of the check, after the last chunk
        check_finite(rows, name)  # names the rows
    if not outputs:
        return np.zeros((0, 0), np.float32)
    return torch.cat(outputs).cpu().numpy()

