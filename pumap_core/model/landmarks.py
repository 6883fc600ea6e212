"""Which rows continued training holds on the map, where, and in what unit.

``partial_fit(X)`` holds by default the rows the model was fitted on, where its
map had them (``embedding_``), when ``X`` begins with those rows; it checks that
by embedding a sample of them again (the same rows, the same networks: the same
positions). A caller may instead give every row's position, NaN for free rows,
as umap-learn's ``landmark_positions``. Distances count in units of the held
map's neighbour distance (:func:`pumap_core.eval.displacement.map_neighbour_distance`),
so that a landmark weight means the same on any map's scale.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from ..eval.displacement import map_neighbour_distance
from ..training.step import Landmarks
from ..validation import check_array

#: rows re-embedded to tell whether ``X`` begins with the rows fitted before
ROWS_CHECKED = 256
#: ... whose positions must then match ``embedding_`` to this share of the map's extent
MATCH_TOLERANCE = 1e-3


def rows_fitted_before(est, X: np.ndarray) -> int:
    """``len(est.embedding_)`` when ``X`` begins with the rows ``est`` was fitted on (a
    sample of them, embedded now, lands where ``embedding_`` has them), else 0."""
    before = getattr(est, "embedding_", None)
    if before is None or X.shape[0] < len(before) or not len(before):
        return 0
    rows = np.unique(np.linspace(0, len(before) - 1, min(len(before), ROWS_CHECKED)).astype(int))
    now = est.transform(X[rows])
    tolerance = MATCH_TOLERANCE * max(1.0, float(np.abs(before).max()))
    return len(before) if float(np.abs(now - before[rows]).max()) <= tolerance else 0


def landmark_positions(est, X: np.ndarray, landmarks: Any) -> np.ndarray | None:
    """Each row's held position (n × ``n_components``, NaN for a free row), or None when
    no row is held: ``landmarks`` is "auto", an array of positions or None."""
    if landmarks is None:
        return None
    n, d = X.shape[0], int(est.n_components)
    if isinstance(landmarks, str):
        if landmarks != "auto":
            raise ValueError(f"landmarks must be 'auto', None or an array of map positions, "
                             f"got {landmarks!r}")
        n_old = rows_fitted_before(est, X)
        if n_old == 0:
            if getattr(est, "embedding_", None) is not None:
                warnings.warn(f"X does not begin with the {len(est.embedding_):,} rows this model "
                              "was fitted on (their map positions differ), so no row is held "
                              "where it was: pass np.vstack([X_fitted, X_new]), or landmarks="
                              "positions", UserWarning, stacklevel=3)
            return None
        positions = np.full((n, d), np.nan, dtype=np.float32)
        positions[:n_old] = est.embedding_
        return positions
    positions = check_array(landmarks, name="landmarks", finite=False)
    if positions.shape != (n, d):
        raise ValueError(f"landmarks has shape {positions.shape}; expected ({n}, {d}): a map "
                         "position for each row of X (NaN for rows left free)")
    if np.isinf(positions).any():
        raise ValueError("landmarks holds infinite values; use NaN for rows left free")
    return positions if np.isfinite(positions).all(1).any() else None


def landmark_data(positions: np.ndarray, device: torch.device) -> Landmarks:
    """The loop's :class:`~pumap_core.training.step.Landmarks` for ``positions``, in units
    of the held rows' neighbour distance on their map."""
    held = np.isfinite(positions).all(1)
    scale = map_neighbour_distance(positions[held])
    at = np.where(held[:, None], positions, 0.0).astype(np.float32)
    return Landmarks(positions=torch.from_numpy(at).to(device),
                     held=torch.from_numpy(held.astype(np.float32)).to(device), scale=scale)
