"""Frame: one embedding snapshot, normalised into the plot's fixed box.

Rasterized plots do not re-frame when the data's range changes,
so every frame is centred and scaled into about [-1, 1]²; the frame keeps
the transform so that a click maps back to latent coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

#: The plot's fixed extent; frames fill about [-1, 1].
EXTENT = 1.15
#: the framing percentiles are taken on at most this many rows (evenly spaced)
FRAMING_ROWS = 100_000
#: frames up to this size build a KD-tree at the first query (~0.1 s); bigger ones answer
#: by a windowed search (a few ms at 1M), as a tree would take seconds per training frame
TREE_MAX_ROWS = 200_000


@dataclass
class Frame:
    z: np.ndarray  # n × 2 latent codes (float32)
    step: int = 0
    center: np.ndarray = field(default=None)
    scale: float = 1.0
    xy: np.ndarray = field(default=None, repr=False)
    _tree: object = field(default=None, repr=False)
    n_train: int = -1  # rows [n_train:] are new rows placed on the map; -1: none

    @classmethod
    def of(cls, z: np.ndarray, step: int = 0, added: np.ndarray | None = None) -> Frame:
        """A frame of the training codes ``z``, plus ``added`` codes framed the same way
        (new rows never move the map)."""
        z = _finite(z)
        lo, hi = np.percentile(z[:: max(1, len(z) // FRAMING_ROWS)], [0.5, 99.5], axis=0)
        center = ((lo + hi) / 2).astype(np.float32)
        scale = float(max((hi - lo).max() / 2, 1e-6))
        n_train = len(z)
        if added is not None and len(added):
            z = np.concatenate([z, _finite(added)])
        xy = (z - center) / np.float32(scale)
        return cls(z=z, step=step, center=center, scale=scale, xy=xy, n_train=n_train)

    def __post_init__(self) -> None:
        if self.n_train < 0:
            self.n_train = len(self.z)

    def __len__(self) -> int:
        return len(self.z)

    @property
    def train_z(self) -> np.ndarray:
        """The training rows' codes (without new rows)."""
        return self.z[: self.n_train]

    def to_latent(self, x: float, y: float) -> np.ndarray:
        """Plot coordinates -> latent code (1 × 2)."""
        return (np.array([[x, y]], np.float32) * self.scale + self.center).astype(np.float32)

    def neighbours(self, x: float, y: float, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Plot distances and rows of the ``k`` points nearest to (x, y), nearest first."""
        k = min(k, len(self))
        if len(self) > TREE_MAX_ROWS:
            return _nearest_in_window(self.xy, x, y, k)
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.xy)
        d, i = self._tree.query([x, y], k=k)
        return np.atleast_1d(d), np.atleast_1d(i).astype(np.int64)

    def nearest(self, x: float, y: float, max_distance: float | None = None) -> int:
        """Row nearest to plot point (x, y); -1 when farther than ``max_distance``."""
        d, i = self.neighbours(x, y)
        if max_distance is not None and d[0] > max_distance:
            return -1
        return int(i[0])

    def in_box(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        x, y = self.xy[:, 0], self.xy[:, 1]
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        return np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))

    def in_polygon(self, xs, ys) -> np.ndarray:
        xs = np.asarray(xs, np.float64)
        ys = np.asarray(ys, np.float64)
        if len(xs) < 3:
            return np.zeros(0, np.int64)
        return np.flatnonzero(points_in_polygon(self.xy, xs, ys))


def _nearest_in_window(xy: np.ndarray, x: float, y: float, k: int,
                       r: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """The exact ``k`` nearest rows without a tree: only rows in a square window around
    (x, y) are measured, and the window doubles until its k-th nearest lies inside it."""
    while r <= 8 * EXTENT:
        rows = np.flatnonzero((np.abs(xy[:, 0] - x) <= r) & (np.abs(xy[:, 1] - y) <= r))
        if len(rows) >= k:
            d = np.hypot(xy[rows, 0] - x, xy[rows, 1] - y)
            order = np.argsort(d, kind="stable")[:k]
            if d[order[-1]] <= r:
                return d[order], rows[order].astype(np.int64)
        r *= 2
    d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)  # far outliers: every row
    order = np.argsort(d, kind="stable")[:k]
    return d[order], order.astype(np.int64)


@numba.njit(cache=True)
def points_in_polygon(pts, xs, ys):  # pragma: no cover - compiled
    n, m = pts.shape[0], xs.shape[0]
    out = np.zeros(n, np.bool_)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    for p in range(n):
        px, py = pts[p, 0], pts[p, 1]
        if px < x0 or px > x1 or py < y0 or py > y1:
            continue
        inside = False
        j = m - 1
        for i in range(m):
            if (ys[i] > py) != (ys[j] > py):
                xc = xs[i] + (py - ys[i]) * (xs[j] - xs[i]) / (ys[j] - ys[i])
                if px < xc:
                    inside = not inside
            j = i
        out[p] = inside
    return out


def _finite(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float32)[:, :2]
    return z if np.isfinite(z).all() else np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
