"""How a model's training rows were scaled, so that new rows can be scaled the same way.

Pixels arrive as 0..255 but train as 0..1; scikit-learn's digits arrive as
0..16 and load as 0..1. A model that only knows its scaled rows places raw
rows (a flat uint8 ``.npy`` of MNIST, say) far from every cluster, silently.
:class:`InputScaling` records the factor that turned raw values into
training values and the range of the training values; ``ParametricUMAP``
keeps one as ``input_scaling_`` and ``transform`` scales rows that still
look raw. :meth:`InputScaling.far_outside` counts rows that lie far outside
the training range even then, for a warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: a value is "far outside" the training range beyond this share of the range's width
FAR = 0.5
#: slack on the raw range when deciding that a row is raw: rounding, a brighter pixel
RAW_SLACK = 0.05


@dataclass(frozen=True)
class InputScaling:
    """Training rows = raw values × ``factor``; their values spanned [``low``, ``high``]."""

    factor: float = 1.0
    low: float = float("-inf")
    high: float = float("inf")

    @classmethod
    def of(cls, X: np.ndarray, factor: float = 1.0) -> InputScaling:
        """The scaling of training rows ``X`` (already scaled by ``factor``)."""
        X = np.asarray(X)
        if not X.size:
            return cls(float(factor))
        return cls(float(factor), float(X.min()), float(X.max()))

    @property
    def known(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high))

    def raw_rows(self, X: np.ndarray) -> np.ndarray:
        """Rows of ``X`` that look unscaled: above the training range by more than
        :data:`FAR` of its width, and inside the training range divided by the factor."""
        n = len(X)
        if self.factor == 1.0 or not self.known or n == 0:
            return np.zeros(n, bool)
        width = max(self.high - self.low, 1e-12)
        top = X.reshape(n, -1).max(axis=1)
        bottom = X.reshape(n, -1).min(axis=1)
        slack = RAW_SLACK * width / self.factor
        return ((top > self.high + FAR * width) & (top <= self.high / self.factor + slack)
                & (bottom >= self.low / self.factor - slack))

    def apply(self, X: np.ndarray) -> tuple[np.ndarray, int]:
        """``(rows, n_scaled)``: ``X`` with its raw-looking rows multiplied by the factor."""
        raw = self.raw_rows(X)
        if not raw.any():
            return X, 0
        X = np.array(X, dtype=np.float32, copy=True)
        X[raw] *= np.float32(self.factor)
        return X, int(raw.sum())

    def far_outside(self, X: np.ndarray) -> int:
        """How many rows of (scaled) ``X`` reach far outside the training range."""
        if not self.known or len(X) == 0:
            return 0
        width = max(self.high - self.low, 1e-12)
        flat = np.asarray(X).reshape(len(X), -1)
        return int(((flat.max(axis=1) > self.high + FAR * width)
                    | (flat.min(axis=1) < self.low - FAR * width)).sum())

    def describe(self) -> str:
        """"values in [0, 1], raw values × 1/255" (for messages)."""
        text = f"values in [{self.low:.3g}, {self.high:.3g}]" if self.known else "any values"
        if self.factor != 1.0:
            inverse = 1.0 / self.factor
            text += f", raw values × 1/{inverse:.4g}" if abs(inverse - round(inverse)) < 1e-6 \
                else f", raw values × {self.factor:.4g}"
        return text

    def to_json(self) -> dict:
        return {k: (v if np.isfinite(v) else None) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict | None) -> InputScaling:
        """The scaling stored in a model file (an unknown one for files without it)."""
        if not data:
            return cls()
        low, high = data.get("low"), data.get("high")
        return cls(float(data.get("factor", 1.0)), float("-inf") if low is None else float(low),
                   float("inf") if high is None else float(high))
