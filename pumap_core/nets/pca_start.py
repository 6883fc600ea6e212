"""Networks that start as whitened PCA: ``code = PCA(x) + residual(x)``, and back.

The PCA part is fixed (buffers, set by ``init_pca``); the residual network's
output layer starts at zero, so an encoder/decoder pair starts as PCA with
``n_components`` components and training only ever improves on it: images
decode recognisably from the first step instead of after minutes. The
residual is a conv net (:mod:`.conv`: ``PCAConvEncoder``) or an MLP on the
first hundred PCA coordinates (:class:`PCAMLPEncoder`, for image sets too
large for convolutions at their size within a few minutes on a CPU).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .mlp import MLPDecoder, MLPEncoder
from .projection import fit_pca

#: hidden layers of the MLP residuals
MLP_HIDDEN = (256, 256)
#: whitened PCA coordinates the MLP residuals read and write (not every pixel)
PROJECTED = 100


def _pca_buffers(net: nn.Module, n_features: int, width: int, encoder: bool) -> None:
    """``mean`` and ``components`` (n_features × width for an encoder, W/σ; width ×
    n_features for a decoder, σW), set later by :func:`_set_pca`."""
    net.register_buffer("mean", torch.zeros(int(n_features)))
    shape = (int(n_features), int(width)) if encoder else (int(width), int(n_features))
    net.register_buffer("components", torch.zeros(*shape))


def _set_pca(net: nn.Module, mean: np.ndarray, components: np.ndarray, scale: np.ndarray,
             encoder: bool) -> None:
    """``components``: unit rows (width × n_features); ``scale``: their σ."""
    with torch.no_grad():
        net.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        rows = np.asarray(components, dtype=np.float64)
        sigma = np.asarray(scale, dtype=np.float64)[:, None]
        w = (rows / sigma).T if encoder else rows * sigma
        net.components.copy_(torch.as_tensor(w, dtype=torch.float32))


def _start_at_zero(layer: nn.Module) -> None:
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)


class PCAStartEncoder(nn.Module):
    """Whitened PCA plus a residual network: ``z = (x − mean) · W / σ + residual(x)``."""

    def __init__(self, n_features: int, n_components: int, residual: nn.Module,
                 output: nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
        super().__init__()
        self.n_components = int(n_components)
        _pca_buffers(self, n_features, self.n_components, encoder=True)
        self.residual = residual
        _start_at_zero(output)

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        """``components``: n_components × n_features (unit rows); ``scale``: their σ."""
        _set_pca(self, mean, components, scale, encoder=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(-(self.mean @ self.components), x, self.components) + self.residual(x)


class PCAStartDecoder(nn.Module):
    """Whitened PCA's inverse plus a residual network: ``x̂ = mean + z · σ Wᵀ + residual(z)``.

    Linear output, for a mean-squared-error loss; in eval mode outputs are
    clipped to [0, 1] when ``clip_output`` (data in [0, 1]).
    """

    def __init__(self, n_features: int, n_components: int, residual: nn.Module,
                 output: nn.Linear | nn.Conv2d | nn.ConvTranspose2d, clip_output: bool = True):
        super().__init__()
        self.n_components = int(n_components)
        self.clip_output, self.sigmoid_output = bool(clip_output), False
        _pca_buffers(self, n_features, self.n_components, encoder=False)
        self.residual = residual
        _start_at_zero(output)

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        _set_pca(self, mean, components, scale, encoder=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = torch.addmm(self.mean, z, self.components) + self.residual(z)
        if self.clip_output and not self.training:
            out = out.clamp(0.0, 1.0)
        return out


class PCAMLPEncoder(nn.Module):
    """Whitened PCA plus an MLP on the first ``n_projected`` whitened PCA coordinates:
    ``p = (x − mean) · W / σ``, ``z = p[:, :n_components] + mlp(p)``.

    The MLP reads ``n_projected`` numbers instead of every pixel (a 64×64 image is
    4,096), which makes a step several times cheaper and keeps the residual from
    memorising a few hundred images; its output layer starts at zero.
    """

    def __init__(self, n_features: int, n_components: int, hidden=MLP_HIDDEN,
                 n_projected: int = PROJECTED):
        super().__init__()
        self.n_features, self.n_components = int(n_features), int(n_components)
        self.hidden = tuple(int(h) for h in hidden)
        self.n_projected = max(self.n_components, min(int(n_projected), self.n_features))
        _pca_buffers(self, self.n_features, self.n_projected, encoder=True)
        self.residual = MLPEncoder(self.n_projected, self.n_components, self.hidden)
        _start_at_zero(self.residual.out)

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        """``components``: ``n_projected`` × n_features unit rows; ``scale``: their σ."""
        _set_pca(self, mean, components, scale, encoder=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = torch.addmm(-(self.mean @ self.components), x, self.components)
        return p[:, :self.n_components] + self.residual(p)

    def config(self) -> dict[str, Any]:
        return {"type": "pca_mlp_encoder", "n_features": self.n_features,
                "n_components": self.n_components, "hidden": list(self.hidden),
                "n_projected": self.n_projected}


class PCAMLPDecoder(nn.Module):
    """The mirror of :class:`PCAMLPEncoder`: ``x̂ = mean + (z ⊕ mlp(z)) · σ Wᵀ``, where the
    code fills the first ``n_components`` whitened coordinates and the MLP (output layer
    at zero) adds to all ``n_projected``. Clipped to [0, 1] in eval mode when
    ``clip_output``."""

    def __init__(self, n_components: int, n_features: int, hidden=MLP_HIDDEN,
                 clip_output: bool = True, n_projected: int = PROJECTED):
        super().__init__()
        self.n_features, self.n_components = int(n_features), int(n_components)
        self.hidden = tuple(int(h) for h in hidden)
        self.n_projected = max(self.n_components, min(int(n_projected), self.n_features))
        self.clip_output, self.sigmoid_output = bool(clip_output), False
        _pca_buffers(self, self.n_features, self.n_projected, encoder=False)
        self.residual = MLPDecoder(self.n_components, self.n_projected, self.hidden)
        _start_at_zero(self.residual.net[-1])

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        _set_pca(self, mean, components, scale, encoder=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        p = self.residual(z)
        p = torch.cat([p[:, :self.n_components] + z, p[:, self.n_components:]], dim=1)
        out = torch.addmm(self.mean, p, self.components)
        if self.clip_output and not self.training:
            out = out.clamp(0.0, 1.0)
        return out

    def config(self) -> dict[str, Any]:
        return {"type": "pca_mlp_decoder", "n_components": self.n_components,
                "n_features": self.n_features, "hidden": list(self.hidden),
                "clip_output": self.clip_output, "n_projected": self.n_projected}


def pca_init(X: np.ndarray, n_components: int, random_state: int | None = 0,
             max_rows: int = 20000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, components, scale)`` of a whitened PCA of rows ``X`` (a subsample of at
    most ``max_rows``), for the ``init_pca`` of every PCA-started network."""
    k = min(n_components, min(X.shape[0], max_rows) - 1, X.shape[1])
    pca = fit_pca(X, k, random_state, max_rows)
    comps = np.zeros((n_components, X.shape[1]))
    scale = np.ones(n_components)
    comps[:k], scale[:k] = pca.components_, np.sqrt(np.maximum(pca.explained_variance_, 1e-12))
    return pca.mean_, comps, scale


def pca_rows(pca: tuple[np.ndarray, np.ndarray, np.ndarray], net: nn.Module
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The part of ``pca_init``'s result that ``net`` holds: its first components."""
    k = int(getattr(net, "n_projected", net.n_components))
    mean, components, scale = pca
    return mean, components[:k], scale[:k]
