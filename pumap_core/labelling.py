"""Which points to label next: those whose labels would teach the classifier most.

The classifier head of a semi-supervised map learns from a few labelled rows,
and a label teaches it about the rows *around* that row on the map: the map
puts similar rows together, and the head reads the map (or the layer before
it). A label is worth most where many rows are still in doubt. Rows are in
doubt for two reasons, and :func:`label_next` counts both:

- the classifier is unsure: a small **margin** between its two most probable
  classes (``1 - (p1 - p2)``); margin rather than entropy, because a row
  between two clusters is what a label settles, however the rest of the
  probability is spread;
- no label is near: a cluster that nobody labelled is often predicted
  *confidently* as the nearest labelled class, so uncertainty alone never
  points at it (the cold start of uncertainty sampling). The **distance on the
  map to the nearest label** does: ``1 - exp(-d² / 2R²)``, where ``R`` is the
  radius of the map neighbourhood holding a ``reach`` share of the rows.

A row's need is the larger of the two, weighted by the density of the map
around it (rows in sparser regions than the median count in proportion: an
outlier's label speaks for few others). Picks are greedy: each pick counts as a
label for the next ones, so a list of ten spreads over ten places instead of
ten neighbours of one. ``strategy="margin"`` ranks by the margin alone (the
textbook uncertainty sampling), ``"random"`` draws unlabelled rows uniformly;
``python -m benchmarks.bench_labels`` measures all three.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

STRATEGIES = ("coverage", "margin", "random")
#: neighbours of a row whose distances give its density on the map
DENSITY_NEIGHBORS = 15
#: rows whose neighbourhood radius sets R (a sample beyond this many)
RADIUS_ROWS = 1000


def margins(proba: np.ndarray) -> np.ndarray:
    """The classifier's margin per row: its most probable class's probability minus the
    second's (1 with a single class)."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(f"proba must be 2-D (n_samples, n_classes), got shape {proba.shape}")
    if proba.shape[1] < 2:
        return np.ones(proba.shape[0])
    top = np.partition(proba, -2, axis=1)[:, -2:]
    return top[:, 1] - top[:, 0]


def label_next(embedding: np.ndarray, labels: np.ndarray | None = None,
               proba: np.ndarray | None = None, n: int = 10, *, strategy: str = "coverage",
               reach: float = 0.05, random_state: int | None = 0) -> np.ndarray:
    """The ``n`` unlabelled rows whose labels would teach most, best first.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, n_components)
        The current map of the rows (``transform``, or a snapshot's embedding).
    labels : array-like of shape (n_samples,), optional
        Class codes, -1 for unlabelled rows (None: nothing labelled yet).
    proba : array-like of shape (n_samples, n_classes), optional
        The classifier's probabilities (``predict_proba``); None before there is a
        classifier: only distance to labels and density count.
    n : int, default=10
        Rows to return (fewer when fewer are unlabelled).
    strategy : {"coverage", "margin", "random"}, default="coverage"
        Margin or distance to labels, weighted by density, picked greedily (see the
        module's text); the margin alone; or uniformly at random.
    reach : float, default=0.05
        The share of the rows a label speaks for: it sets the radius R within which a
        label (or an earlier pick) settles the rows around it. About the share of one
        cluster: a label at a cluster's core then settles most of it.
    random_state : int or None, default=0
        Seed of the sample behind R and of ``strategy="random"``.

    Returns
    -------
    ndarray of shape (n,), int64
        Row indices, most useful first.
    """
    Z = np.asarray(embedding, dtype=np.float64)
    if Z.ndim != 2:
        raise ValueError(f"embedding must be 2-D (n_samples, n_components), got shape {Z.shape}")
    rows = Z.shape[0]
    labelled = np.zeros(rows, bool) if labels is None else np.asarray(labels) >= 0
    if labelled.shape != (rows,):
        raise ValueError(f"labels has shape {np.shape(labels)}; expected ({rows},)")
    if proba is not None and np.shape(proba)[0] != rows:
        raise ValueError(f"proba has {np.shape(proba)[0]} rows; the embedding has {rows}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    free = np.flatnonzero(~labelled)
    n = min(int(n), free.size)
    if strategy == "random":
        return np.random.default_rng(random_state).choice(free, n, replace=False)
    doubt = np.zeros(rows) if proba is None else 1.0 - margins(proba)
    if strategy == "margin":
        return free[np.argsort(-doubt[free], kind="stable")[:n]]
    return _coverage_picks(Z, labelled, doubt, n, reach, random_state)


def _coverage_picks(Z: np.ndarray, labelled: np.ndarray, doubt: np.ndarray, n: int,
                    reach: float, random_state: int | None) -> np.ndarray:
    """Greedy picks by density × max(doubt, distance to the nearest label or pick)."""
    rows = Z.shape[0]
    if rows < 3:
        return np.flatnonzero(~labelled)[:n]
    radius = _reach_radius(Z, reach, random_state)
    tree = cKDTree(Z)
    spacing, _ = tree.query(Z, min(DENSITY_NEIGHBORS, rows - 1) + 1)
    spacing = spacing[:, 1:].mean(1)
    # density ∝ 1 / spacing^dims, capped at the median's: sparse rows count in proportion
    density = np.minimum(1.0, (np.median(spacing) / np.maximum(spacing, 1e-12)) ** Z.shape[1])
    to_label = (cKDTree(Z[labelled]).query(Z)[0] if labelled.any() else np.full(rows, np.inf))
    to_pick = np.full(rows, np.inf)
    taken = labelled.copy()
    picks = []
    for _ in range(n):
        far = 1.0 - np.exp(-0.5 * (np.minimum(to_label, to_pick) / radius) ** 2)
        settled = 1.0 - np.exp(-0.5 * (to_pick / radius) ** 2)  # a pick settles its doubt too
        score = density * np.maximum(doubt * settled, far)
        score[taken] = -np.inf
        pick = int(np.argmax(score))
        picks.append(pick)
        taken[pick] = True
        to_pick = np.minimum(to_pick, np.linalg.norm(Z - Z[pick], axis=1))
    return np.asarray(picks, dtype=np.int64)


def _reach_radius(Z: np.ndarray, reach: float, random_state: int | None) -> float:
    """The median radius of a map neighbourhood holding a ``reach`` share of the rows."""
    rows = Z.shape[0]
    k = int(np.clip(round(reach * rows), 1, rows - 1))
    sample = Z if rows <= RADIUS_ROWS else Z[np.random.default_rng(random_state).choice(
        rows, RADIUS_ROWS, replace=False)]
    radius = float(np.median(cKDTree(Z).query(sample, k + 1)[0][:, -1]))
    return radius if radius > 0 else 1.0
