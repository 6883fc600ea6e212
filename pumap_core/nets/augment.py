"""Data augmentation inside the encoder, for training only (paper §5.5).

``Augmented(encoder, augmentation)`` runs ``encoder(augmentation(x))`` while the
module is in training mode and plain ``encoder(x)`` in eval mode. The estimator
trains in training mode and embeds (``transform``, ``predict``, the fitted
``embedding_``) in eval mode, so:

* UMAP's cross-entropy sees augmented copies of both ends of each edge, while
  the graph's edges are still those of the *unaugmented* data: a jittered image
  must stay near the neighbours of the original (the paper's consistency idea);
* the classifier head sees augmented labelled rows;
* new data are embedded without any randomness.

Rows are flat, as everywhere in :mod:`pumap_core.nets`; :class:`ImageJitter` is
told the image shape (h, w[, c], channel-last) to reshape inside.

Saving: the wrapper is a custom module, so a model file stores its weights but
not its code. Pass an equal wrapper again at load::

    ParametricUMAP.load(path, encoder=Augmented(MLPEncoder(784, 2), ImageJitter((28, 28))))

(or use ``model.encoder_.encoder``, the plain encoder, e.g. to save it alone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class _RandomModule(nn.Module):
    """Holds the optional seeded generator (CPU) the augmentations draw from."""

    def __init__(self, seed: int | None):
        super().__init__()
        self.seed = seed
        self._generator: torch.Generator | None = None

    def generator(self) -> torch.Generator | None:
        """Made at the first draw (None without a seed: torch's global generator)."""
        if self.seed is not None and self._generator is None:
            self._generator = torch.Generator().manual_seed(int(self.seed))
        return self._generator

    def _uniform(self, n: int, bound: float) -> torch.Tensor:
        """``n`` draws from U(-bound, bound) on the CPU."""
        return (2 * torch.rand(n, generator=self.generator()) - 1) * bound


class ImageJitter(_RandomModule):
    """Per-image random translation by whole pixels (±``max_shift``, as padding with
    zeros and cropping would), after an optional bilinear rotation (±``max_rotation``
    degrees) and scaling (×(1 ± ``max_scale``)).

    Whole-pixel shifts are one gather (~1 ms for 1,000 MNIST digits on one CPU
    thread); the bilinear warp costs ~30 ms, so it only runs when asked for.
    """

    def __init__(self, image_shape: Sequence[int], max_shift: int = 2,
                 max_rotation: float = 0.0, max_scale: float = 0.0, seed: int | None = None):
        super().__init__(seed)
        if len(image_shape) not in (2, 3) or min(image_shape[:2]) < 2:
            raise ValueError(f"image_shape must be (h, w) or (h, w, c), got {tuple(image_shape)}")
        if not (max_shift >= 0 and int(max_shift) == max_shift):
            raise ValueError(f"max_shift must be a whole number of pixels >= 0, got {max_shift!r}")
        for name, value in (("max_rotation", max_rotation), ("max_scale", max_scale)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if max_scale >= 1:
            raise ValueError(f"max_scale must be < 1, got {max_scale!r}")
        self.image_shape = tuple(int(s) for s in image_shape)
        self.max_shift, self.max_rotation, self.max_scale = int(max_shift), max_rotation, max_scale

    def _warp(self, images: torch.Tensor) -> torch.Tensor:
        """Random rotation and scale about the centre (n × c × h × w, zero padding)."""
        n = images.shape[0]
        angle = self._uniform(n, math.radians(self.max_rotation))
        scale = 1 + self._uniform(n, self.max_scale)
        cos, sin, zero = scale * torch.cos(angle), scale * torch.sin(angle), torch.zeros(n)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
        grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                             align_corners=False)

    def _shift(self, images: torch.Tensor) -> torch.Tensor:
        """Each image moved by its own (dy, dx) in [-s, s]²: pad by s, crop at an offset."""
        n, c, h, w = images.shape
        s = self.max_shift
        padded = F.pad(images, (s, s, s, s)).reshape(n, c, -1)
        dy, dx = (torch.randint(0, 2 * s + 1, (2, n), generator=self.generator())
                  .to(images.device))
        rows = torch.arange(h, device=images.device)[None, :, None] + dy[:, None, None]
        cols = torch.arange(w, device=images.device)[None, None, :] + dx[:, None, None]
        index = (rows * (w + 2 * s) + cols).reshape(n, 1, h * w).expand(n, c, h * w)
        return padded.gather(2, index).reshape(n, c, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.image_shape[:2]
        c = self.image_shape[2] if len(self.image_shape) == 3 else 1
        images = x.reshape(-1, h, w, c).permute(0, 3, 1, 2)
        if self.max_rotation > 0 or self.max_scale > 0:
            images = self._warp(images)
        if self.max_shift > 0:
            images = self._shift(images)
        return images.permute(0, 2, 3, 1).reshape(x.shape)


class GaussianNoise(_RandomModule):
    """Adds N(0, ``std``²) to every feature: the augmentation for non-image rows."""

    def __init__(self, std: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        if not std >= 0:
            raise ValueError(f"std must be >= 0, got {std!r}")
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        noise = torch.randn(x.shape, generator=self.generator(), dtype=x.dtype)
        return x + self.std * noise.to(x.device)


class Augmented(nn.Module):
    """``encoder(augmentation(x))`` in training mode, ``encoder(x)`` in eval mode.

    Exposes the wrapped encoder's ``features`` / ``out`` / ``n_hidden_features``
    so the estimator's classifier head branches off the same hidden layer as it
    would without the wrapper (:func:`pumap_core.nets.classifier.encode_with_features`);
    ``features`` augments too.
    """

    def __init__(self, encoder: nn.Module, augmentation: nn.Module):
        super().__init__()
        self.encoder, self.augmentation = encoder, augmentation

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        return self.augmentation(x) if self.training else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.augment(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.features(self.augment(x))

    @property
    def out(self) -> nn.Module | None:
        """The wrapped encoder's output layer (a property: no second copy in state_dict)."""
        return getattr(self.encoder, "out", None)

    @property
    def n_hidden_features(self) -> int:
        return self.encoder.n_hidden_features
