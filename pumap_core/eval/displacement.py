"""How far points moved between two maps of the same rows, in the map's own units.

A map may turn, mirror or shift as a whole without any point leaving its
neighbourhood, so two maps are first aligned by Procrustes (the rotation or
reflection and translation that bring one closest to the other; no scaling, so
that a map that grew counts as moved). Distances are then measured in units of
the earlier map's *neighbour distance*: the median distance from a point to
its ``k`` nearest other points on that map. One unit is the spacing of a
neighbourhood: a point that moved less has stayed among its neighbours.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

#: neighbours of the map's unit distance (the graph's default ``n_neighbors``, the row
#: itself not counted)
UNIT_NEIGHBORS = 15
#: rows whose neighbour distances are measured (a sample beyond this many)
UNIT_ROWS = 10_000


def map_neighbour_distance(Z: np.ndarray, k: int = UNIT_NEIGHBORS, max_rows: int = UNIT_ROWS,
                           random_state: int = 0) -> float:
    """The median distance on the map ``Z`` from a point to each of its ``k`` nearest other
    points (over a sample of ``max_rows`` points); 1.0 for fewer than two points."""
    Z = np.asarray(Z, dtype=np.float64)
    n = Z.shape[0]
    if n < 2:
        return 1.0
    k = min(int(k), n - 1)
    rows = np.arange(n) if n <= max_rows else np.random.default_rng(random_state).choice(
        n, max_rows, replace=False)
    dists, _ = cKDTree(Z).query(Z[rows], k + 1)
    unit = float(np.median(dists[:, 1:]))
    return unit if unit > 0 else 1.0


def procrustes_align(reference: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """``moved`` turned (or mirrored) and shifted to lie as close as possible to
    ``reference`` (least squares over all rows; no scaling)."""
    A = np.asarray(reference, dtype=np.float64)
    B = np.asarray(moved, dtype=np.float64)
    if A.shape != B.shape:
        raise ValueError(f"the maps have shapes {A.shape} and {B.shape}; pass the same rows")
    a_mean, b_mean = A.mean(0), B.mean(0)
    u, _, vt = np.linalg.svd((B - b_mean).T @ (A - a_mean))
    return (B - b_mean) @ (u @ vt) + a_mean


def displacements(before: np.ndarray, after: np.ndarray, unit: float | None = None,
                  align: bool = True) -> np.ndarray:
    """How far each row moved from ``before`` to ``after`` (after Procrustes alignment
    when ``align``), in units of ``unit`` (default: ``before``'s neighbour distance)."""
    before = np.asarray(before, dtype=np.float64)
    moved = procrustes_align(before, after) if align else np.asarray(after, dtype=np.float64)
    unit = map_neighbour_distance(before) if unit is None else float(unit)
    return np.linalg.norm(moved - before, axis=1) / unit


def median_displacement(before: np.ndarray, after: np.ndarray, unit: float | None = None,
                        align: bool = True) -> float:
    """The median of :func:`displacements`: how far the typical row moved, in neighbour
    distances of the earlier map (NaN for no rows)."""
    moved = displacements(before, after, unit, align)
    return float(np.median(moved)) if moved.size else float("nan")
