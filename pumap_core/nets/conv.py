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

from .pca_start import PCAStartDecoder, PCAStartEncoder, pca_init  # noqa: F401 - pca_init re-exported

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


class PCAConvEncoder(PCAStartEncoder):
    """Whitened PCA plus a conv net: ``z = (x − mean) · W / σ + conv(x)``
    (:class:`~pumap_core.nets.pca_start.PCAStartEncoder`). With
    :class:`PCAConvDecoder` the model starts as PCA with ``n_components``
    components; faces decode recognisably from the first step.
    """

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS):
        self.image_shape = tuple(int(s) for s in image_shape)
        self.hidden, self.widths = int(hidden), tuple(int(x) for x in widths)
        residual = ConvEncoder(self.image_shape, int(n_components), self.hidden, self.widths)
        super().__init__(int(np.prod(self.image_shape)), n_components, residual, residual.out)

    def config(self) -> dict[str, Any]:
        return {"type": "pca_conv_encoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "widths": list(self.widths)}


class PCAConvDecoder(PCAStartDecoder):
    """Whitened PCA's inverse plus a conv net: ``x̂ = mean + z · σ Wᵀ + deconv(z)``, the
    mirror of :class:`PCAConvEncoder` (:class:`~pumap_core.nets.pca_start.PCAStartDecoder`)."""

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS, clip_output: bool = True):
        self.image_shape = tuple(int(s) for s in image_shape)
        self.hidden, self.widths = int(hidden), tuple(int(x) for x in widths)
        residual = ConvDecoder(self.image_shape, int(n_components), self.hidden,
                               sigmoid_output=False, widths=self.widths)
        last = [m for m in residual.deconv if isinstance(m, nn.ConvTranspose2d)][-1]
        super().__init__(int(np.prod(self.image_shape)), n_components, residual, last,
                         clip_output)

    def config(self) -> dict[str, Any]:
        return {"type": "pca_conv_decoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "widths": list(self.widths), "clip_output": self.clip_output}
