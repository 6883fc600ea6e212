"""The low-dimensional similarity curve q(d) = 1 / (1 + a d^{2b}) (paper eq. 2.6).

``a`` and ``b`` are fitted so that q approximates the offset exponential
that ``min_dist`` and ``spread`` describe, exactly as umap-learn does.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.optimize import curve_fit


def _curve(x: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + a * x ** (2 * b))


@lru_cache(maxsize=256)
def find_ab_params(min_dist: float = 0.1, spread: float = 1.0) -> tuple[float, float]:
    """Fit ``(a, b)`` of the embedding-space curve to ``(min_dist, spread)``."""
    min_dist, spread = float(min_dist), float(spread)
    if not np.isfinite(spread) or spread <= 0:
        raise ValueError(f"spread must be > 0, got {spread}")
    if not np.isfinite(min_dist) or min_dist < 0 or min_dist > spread:
        raise ValueError(f"min_dist must be in [0, spread={spread}], got {min_dist}")
    xv = np.linspace(0, spread * 3, 300)
    yv = np.where(xv < min_dist, 1.0, np.exp(-(xv - min_dist) / spread))
    params, _ = curve_fit(_curve, xv, yv)
    return float(params[0]), float(params[1])
