"""Two-code encoders: a wide code for the decoder, a small map head for the plot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .describe import network_config
from .mlp import MLPEncoder

#: Hidden layer widths of the map head.
MAP_HIDDEN = (256, 256, 256)


class CodeMapEncoder(nn.Module):
    """A two-code encoder: x → a d-D *code* (``code_net``) → a 2-D *map* (``map_head``).

    The code is what the decoder reads (wide enough to hold a face); the map is
    what ``forward`` returns, so ``transform``, snapshots and UMAP's loss see
    the map. The map head is a small MLP on the code: the map is a UMAP map
    of the codes, trained on the data's neighbour graph at the same time.
    ``map_grad`` scales the gradient that UMAP's loss on the map sends into
    the code (0: none, the code is shaped only by the decoder and any loss on
    the code itself; 1: the full gradient).
    """

    def __init__(self, code_net: nn.Module, n_components: int = 2,
                 map_hidden: Sequence[int] = MAP_HIDDEN, map_grad: float = 0.0,
                 code_components: int | None = None):
        super().__init__()
        self.code_net, self.n_components = code_net, int(n_components)
        self.map_hidden, self.map_grad = tuple(int(h) for h in map_hidden), float(map_grad)
        if code_components is None:
            code_components = getattr(code_net, "n_components", None)
        if code_components is None:
            raise ValueError("CodeMapEncoder needs code_components (the width of code_net's output)")
        self.code_components = int(code_components)
        self.map_head = MLPEncoder(self.code_components, self.n_components, self.map_hidden)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.code_net(x)

    def with_code_net(self, code_net: nn.Module) -> CodeMapEncoder:
        """The same map head (shared, not copied) behind another code network."""
        other = CodeMapEncoder(code_net, self.n_components, self.map_hidden, self.map_grad,
                               self.code_components)
        other.map_head = self.map_head
        return other

    def map_of_codes(self, code: torch.Tensor) -> torch.Tensor:
        if self.map_grad <= 0.0:
            code = code.detach()
        elif self.map_grad < 1.0:  # forward: the code; backward: map_grad times its gradient
            code = code.detach() + self.map_grad * (code - code.detach())
        return self.map_head(code)

    def map_and_code(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.code_net(x)
        return self.map_of_codes(code), code

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.map_of_codes(self.code_net(x))

    def config(self) -> dict[str, Any]:
        return {"type": "code_map_encoder", "code_net": network_config(self.code_net),
                "n_components": self.n_components, "map_hidden": list(self.map_hidden),
                "map_grad": self.map_grad, "code_components": self.code_components}


def map_and_code(encoder: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(map, code)`` of ``x``: for a :class:`CodeMapEncoder` its two outputs, for any
    other encoder the one output twice (the map is the code)."""
    if isinstance(encoder, CodeMapEncoder):
        return encoder.map_and_code(x)
    z = encoder(x)
    return z, z


def encode_codes(encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The codes the decoder reads: ``encoder.encode`` for two-code encoders, else ``encoder``."""
    return encoder.encode(x) if isinstance(encoder, CodeMapEncoder) else encoder(x)


class MapHeadView(nn.Module):
    """A two-code encoder's map head as a module of its own (codes → map), sharing
    its weights: what ``ParametricUMAP.refine_map`` trains."""

    def __init__(self, encoder: CodeMapEncoder):
        super().__init__()
        self.map_head = encoder.map_head

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.map_head(code)


class CodeEncoderView(nn.Module):
    """``encode_codes`` as a module, so the chunked :func:`pumap_core.training.loop.embed` can run it."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return encode_codes(self.encoder, x)


