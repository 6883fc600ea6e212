"""Convolutional encoders and decoders for images, plain or starting as whitened PCA.

Every network takes and returns *flat* rows (n × features): image networks
know their image shape (h, w, c; channel-last, as the data stores it) and
reshape inside."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .projection import fit_pca

CONV_WIDTHS = (32, 64, 128, 256)


def _conv_plan(image_shape: Sequence[int], widths: Sequence[int] = CONV_WIDTHS
               ) -> tuple[int, int, int, list[int]]:
    """Channels of the stride-2 layers: one per halving until the image is ~8 px."""
    h, w = int(image_shape[0]), int(image_shape[1])
    c = int(image_shape[2]) if len(image_shape) == 3 else 1
    n_layers, size = 0, min(h, w)
    while size > 8 and n_layers < len(widths):
        n_layers += 1
        size = (size + 1) // 2
    return h, w, c, [int(x) for x in widths[:max(n_layers, 1)]]


class ConvEncoder(nn.Module):
    """Stride-2 convolutions until the image is ~8 px, then dense layers to z."""

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS):
        super().__init__()
        self.image_shape, self.n_components, self.hidden = tuple(int(s) for s in image_shape), n_components, hidden
        self.widths = tuple(int(x) for x in widths)
        h, w, c, channels = _conv_plan(self.image_shape, self.widths)
        layers: list[nn.Module] = []
        width = c
        for ch in channels:
            layers += [nn.Conv2d(width, ch, 4, stride=2, padding=1), nn.LeakyReLU(0.1)]
            width = ch
        self.conv = nn.Sequential(*layers)
        with torch.no_grad():
            flat = self.conv(torch.zeros(1, c, h, w)).numel()
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU())
        self.n_hidden_features = hidden
        self.out = nn.Linear(hidden, n_components)

    def _to_image(self, x: torch.Tensor) -> torch.Tensor:
        h, w, c, _ = _conv_plan(self.image_shape)
        return x.reshape(-1, h, w, c).permute(0, 3, 1, 2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.conv(self._to_image(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))

    def config(self) -> dict[str, Any]:
        return {"type": "conv_encoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden, "widths": list(self.widths)}


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`: dense to a small map, transposed convolutions up."""

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 sigmoid_output: bool = True, widths: Sequence[int] = CONV_WIDTHS):
        super().__init__()
        self.image_shape, self.n_components = tuple(int(s) for s in image_shape), n_components
        self.hidden, self.sigmoid_output = hidden, bool(sigmoid_output)
        self.widths = tuple(int(x) for x in widths)
        h, w, c, channels = _conv_plan(self.image_shape, self.widths)
        self._start = (channels[-1], -(-h // 2 ** len(channels)), -(-w // 2 ** len(channels)))
        self.dense = nn.Sequential(nn.Linear(n_components, hidden), nn.ReLU(),
                                   nn.Linear(hidden, int(np.prod(self._start))), nn.ReLU())
        layers: list[nn.Module] = []
        widths = channels[::-1][1:] + [c]
        width = channels[-1]
        for i, ch in enumerate(widths):
            layers.append(nn.ConvTranspose2d(width, ch, 4, stride=2, padding=1))
            if i < len(widths) - 1:
                layers.append(nn.LeakyReLU(0.1))
            width = ch
        self.deconv = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h, w, c, _ = _conv_plan(self.image_shape)
        x = self.deconv(self.dense(z).reshape(-1, *self._start))[:, :, :h, :w]
        if self.sigmoid_output:
            x = torch.sigmoid(x)
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], h * w * c)

    def config(self) -> dict[str, Any]:
        return {"type": "conv_decoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "sigmoid_output": self.sigmoid_output, "widths": list(self.widths)}


class PCAConvEncoder(nn.Module):
    """Whitened PCA plus a conv net: ``z = (x − mean) · W / σ + conv(x)``.

    The PCA part is fixed (buffers, set by :meth:`init_pca`); the conv net's
    output layer starts at zero, so training starts from PCA's codes and only
    ever improves on them (with :class:`PCAConvDecoder`, the model starts as
    PCA with ``n_components`` components). Faces decode recognisably from the
    first step instead of after minutes.
    """

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS):
        super().__init__()
        self.image_shape, self.n_components = tuple(int(s) for s in image_shape), int(n_components)
        self.hidden, self.widths = int(hidden), tuple(int(x) for x in widths)
        n_features = int(np.prod(self.image_shape))
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("components", torch.zeros(n_features, self.n_components))  # W / σ
        self.residual = ConvEncoder(self.image_shape, self.n_components, self.hidden, self.widths)
        nn.init.zeros_(self.residual.out.weight)
        nn.init.zeros_(self.residual.out.bias)

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        """``components``: n_components × n_features (unit rows); ``scale``: their σ."""
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            w = np.asarray(components, dtype=np.float64) / np.asarray(scale, dtype=np.float64)[:, None]
            self.components.copy_(torch.as_tensor(w.T, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(-(self.mean @ self.components), x, self.components) + self.residual(x)

    def config(self) -> dict[str, Any]:
        return {"type": "pca_conv_encoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "widths": list(self.widths)}


class PCAConvDecoder(nn.Module):
    """Whitened PCA's inverse plus a conv net: ``x̂ = mean + z · σ Wᵀ + deconv(z)``.

    The mirror of :class:`PCAConvEncoder` (the deconv net's last layer starts
    at zero). Linear output, for a mean-squared-error loss; in eval mode
    outputs are clipped to [0, 1] when ``clip_output`` (data in [0, 1]).
    """

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS, clip_output: bool = True):
        super().__init__()
        self.image_shape, self.n_components = tuple(int(s) for s in image_shape), int(n_components)
        self.hidden, self.widths = int(hidden), tuple(int(x) for x in widths)
        self.clip_output, self.sigmoid_output = bool(clip_output), False
        n_features = int(np.prod(self.image_shape))
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("components", torch.zeros(self.n_components, n_features))  # σ W
        self.residual = ConvDecoder(self.image_shape, self.n_components, self.hidden,
                                    sigmoid_output=False, widths=self.widths)
        last = [m for m in self.residual.deconv if isinstance(m, nn.ConvTranspose2d)][-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            w = np.asarray(components, dtype=np.float64) * np.asarray(scale, dtype=np.float64)[:, None]
            self.components.copy_(torch.as_tensor(w, dtype=torch.float32))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = torch.addmm(self.mean, z, self.components) + self.residual(z)
        if self.clip_output and not self.training:
            out = out.clamp(0.0, 1.0)
        return out

    def config(self) -> dict[str, Any]:
        return {"type": "pca_conv_decoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "widths": list(self.widths), "clip_output": self.clip_output}


def pca_init(X: np.ndarray, n_components: int, random_state: int | None = 0,
             max_rows: int = 20000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, components, scale)`` of a whitened PCA of rows ``X`` (a subsample of at
    most ``max_rows``), for :meth:`PCAConvEncoder.init_pca` / :meth:`PCAConvDecoder.init_pca`."""
    k = min(n_components, min(X.shape[0], max_rows) - 1, X.shape[1])
    pca = fit_pca(X, k, random_state, max_rows)
    comps = np.zeros((n_components, X.shape[1]))
    scale = np.ones(n_components)
    comps[:k], scale[:k] = pca.components_, np.sqrt(np.maximum(pca.explained_variance_, 1e-12))
    return pca.mean_, comps, scale


