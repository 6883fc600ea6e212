"""Networks and neighbours for the CelebA faces demo (``experiments/faces_demo.py``).

The judge, the shifts and the image grid it also uses are shared with the
faces benchmark and live in :mod:`harness.face_judge` and :mod:`harness.figures`.

- :class:`SmallConvEncoder` / :class:`SmallConvDecoder`: a narrower version of
  ``pumap_core.nets.ConvEncoder``/``ConvDecoder`` (16-32-64 instead of
  32-64-128 channels) for a busy machine: in a 3,000-face trial it decoded as
  well (about the same held-out MSE) in ~0.6x the time.
- :func:`pca_knn`: neighbours on PCA-reduced pixels (seconds instead of a
  minute for 7,000 faces of 12,288 pixels).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from torch import nn

from pumap_core.graph.neighbors import nearest_neighbors
from pumap_core.nets import ConvDecoder, ConvEncoder

# ----------------------------------------------------------------- networks
SMALL_WIDTHS = (16, 32, 64)


def SmallConvEncoder(image_shape: Sequence[int], n_components: int) -> nn.Module:  # noqa: N802
    """``nets.ConvEncoder`` with half the channels (16-32-64)."""
    return ConvEncoder(image_shape, n_components, widths=SMALL_WIDTHS)


def SmallConvDecoder(image_shape: Sequence[int], n_components: int) -> nn.Module:  # noqa: N802
    """``nets.ConvDecoder`` with half the channels (sigmoid output: BCE loss)."""
    return ConvDecoder(image_shape, n_components, widths=SMALL_WIDTHS)


def pca_knn(X: np.ndarray, n_neighbors: int, n_pca: int = 50,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Exact kNN on the first ``n_pca`` principal components of flat rows ``X``.

    Why: exact search on 12,288 pixels costs ~60 s on two cores and NN-descent
    ~70 s; 50 components keep 86% of the pixel variance and 75% of each face's
    14 exact neighbours (7,000 CelebA faces), in ~10 s.
    """
    from sklearn.decomposition import PCA

    n_pca = min(n_pca, X.shape[0] - 1, X.shape[1])
    Xp = PCA(n_pca, svd_solver="randomized", random_state=seed).fit_transform(X)
    return nearest_neighbors(Xp.astype(np.float32), n_neighbors, method="exact")
