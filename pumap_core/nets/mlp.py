"""Dense networks for rows of features: the default encoder and decoder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

#: Hidden layer widths of the built-in MLPs.
MLP_HIDDEN = (100, 100, 100)


class MLPEncoder(nn.Module):
    """x → hidden ReLU layers (``body``) → linear ``out`` to the latent space."""

    def __init__(self, n_features: int, n_components: int, hidden: Sequence[int] = MLP_HIDDEN):
        super().__init__()
        self.n_features, self.n_components, self.hidden = n_features, n_components, tuple(hidden)
        layers: list[nn.Module] = []
        width = n_features
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.body = nn.Sequential(*layers)
        self.n_hidden_features = width
        self.out = nn.Linear(width, n_components)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))

    def config(self) -> dict[str, Any]:
        return {"type": "mlp_encoder", "n_features": self.n_features,
                "n_components": self.n_components, "hidden": list(self.hidden)}


class MLPDecoder(nn.Module):
    """z → hidden ReLU layers → x̂ (sigmoid output for data in [0, 1])."""

    def __init__(self, n_components: int, n_features: int, hidden: Sequence[int] = MLP_HIDDEN,
                 sigmoid_output: bool = False):
        super().__init__()
        self.n_components, self.n_features = n_components, n_features
        self.hidden, self.sigmoid_output = tuple(hidden), bool(sigmoid_output)
        layers: list[nn.Module] = []
        width = n_components
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, n_features))
        if self.sigmoid_output:
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def config(self) -> dict[str, Any]:
        return {"type": "mlp_decoder", "n_components": self.n_components,
                "n_features": self.n_features, "hidden": list(self.hidden),
                "sigmoid_output": self.sigmoid_output}


