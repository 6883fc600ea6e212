"""A frozen linear first layer (PCA) for wide inputs, and the PCA fit it and the
PCA-initialised conv nets share."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


def fit_pca(X: np.ndarray, n_components: int, random_state: int | None = 0,
            max_rows: int = 20000) -> Any:
    """A randomized PCA of ``X`` fitted on at most ``max_rows`` random rows: a wide
    layer, a starting layout or a conv net's first guess in seconds on any data."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(random_state)
    rows = X if X.shape[0] <= max_rows else X[rng.choice(X.shape[0], max_rows, replace=False)]
    return PCA(n_components=n_components, svd_solver="randomized",
               random_state=random_state).fit(rows)


class InputProjection(nn.Module):
    """A fixed linear map (x − mean) · W, e.g. PCA, as the encoder's first layer.

    Frozen, it can be applied to the whole data set once before training, so
    the training steps never pay for the wide input layer.
    """

    def __init__(self, mean: torch.Tensor, components: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.float().clone())
        self.register_buffer("components", components.float().clone())  # d × p

    @classmethod
    def pca(cls, X: np.ndarray, n_components: int, random_state: int | None = 0,
            max_rows: int = 20000) -> InputProjection:
        pca = fit_pca(X, n_components, random_state, max_rows)
        return cls(torch.from_numpy(pca.mean_.astype(np.float32)),
                   torch.from_numpy(pca.components_.T.astype(np.float32).copy()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x·W − mean·W: one fused multiply-add, no centred copy of x
        return torch.addmm(-(self.mean @ self.components), x, self.components)

    def inverse(self, c: torch.Tensor) -> torch.Tensor:
        """Back to data space: c · Wᵀ + mean (exact for rows inside the projection's span)."""
        return torch.addmm(self.mean, c, self.components.T)


class ProjectedEncoder(nn.Module):
    """``encoder(projection(x))``: the network that ``transform`` runs."""

    def __init__(self, projection: InputProjection, encoder: nn.Module):
        super().__init__()
        self.projection, self.encoder = projection, encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.projection(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.features(self.projection(x))

    @property
    def out(self) -> nn.Module:
        """The inner encoder's output layer: with :meth:`features`, where a classifier
        head reading the hidden layer branches off (AttributeError when it has none)."""
        return self.encoder.out

    @property
    def n_hidden_features(self) -> int:
        return self.encoder.n_hidden_features

    def config(self) -> dict[str, Any]:
        mean, comps = self.projection.mean, self.projection.components
        return {"type": "projected_encoder", "n_features": int(mean.shape[0]),
                "n_projected": int(comps.shape[1]), "encoder": self.encoder.config()}




class ProjectedDecoder(nn.Module):
    """``projection.inverse(decoder(z))``: a decoder that predicts a row's coordinates in
    a PCA projection with orthonormal components, and maps them back to data space.

    Its squared error in data space is its squared error on the coordinates plus the
    row's distance from the projection's span, a constant: so it trains on the
    projected rows, never paying for the wide output layer (784 pixels on MNIST, 100
    coordinates instead). ``clip`` keeps decoded values in [0, 1] for unit data.
    """

    def __init__(self, projection: InputProjection, decoder: nn.Module, clip: bool = False):
        super().__init__()
        self.projection, self.decoder, self.clip = projection, decoder, bool(clip)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.projection.inverse(self.decoder(z))
        return x.clamp(0.0, 1.0) if self.clip else x

    def config(self) -> dict[str, Any]:
        mean, comps = self.projection.mean, self.projection.components
        return {"type": "projected_decoder", "n_features": int(mean.shape[0]),
                "n_projected": int(comps.shape[1]), "decoder": self.decoder.config(),
                "clip": self.clip}
