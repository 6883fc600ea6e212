"""A click on the map: the latent point under it decoded, the nearest real item, its neighbours.

Pure functions of a frame, a model and a data set, so the session state's
``click_at`` stays short and they are tested without a page.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

N_NEIGHBOURS_SHOWN = 8


@dataclass
class Click:
    """A click on the plot: where, what it decodes to, and what is really there."""

    x: float
    y: float
    z: np.ndarray
    nearest: int = -1
    neighbours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    decoded: np.ndarray | None = None
    message: str = ""
    ms: float = 0.0


def decode(model, z: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The decoder's output for code ``z`` (1 × d), or None and why not."""
    if model is None or not hasattr(model, "encoder_"):
        return None, "No model yet: press Train."
    if getattr(model, "decoder_", None) is None:
        return None, "This model has no decoder: train with reconstruction on to decode."
    try:
        return model.inverse_transform(z)[0], ""
    except Exception as e:  # noqa: BLE001 - shown in the click panel
        return None, f"Could not decode: {e}"


def click_at(frame, model, x: float, y: float) -> Click:
    """Decode the latent point under plot point (x, y) and find the nearest real item."""
    t0 = time.perf_counter()
    c = Click(x=float(x), y=float(y), z=frame.to_latent(x, y))
    c.nearest = frame.nearest(x, y)
    graph = getattr(model, "graph_", None)
    if graph is not None and c.nearest < graph.knn_indices.shape[0]:
        c.neighbours = graph.knn_indices[c.nearest, 1:N_NEIGHBOURS_SHOWN + 1].copy()
    c.decoded, c.message = decode(model, c.z)
    c.ms = (time.perf_counter() - t0) * 1000
    return c


def directions(frame, ds) -> pd.DataFrame | None:
    """Latent feature directions of ``frame`` for the data set's attributes or labels."""
    from pumap_core.features import feature_vectors

    if frame is None or ds is None or frame.n_train != ds.n_samples:
        return None
    attrs = ds.attributes.select_dtypes(include=["number", "bool"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(attrs.columns):
                return feature_vectors(frame.train_z, attrs)
            if ds.labels is not None:
                return feature_vectors(frame.train_z, ds.labels, ds.label_names)
    except (ValueError, TypeError) as e:
        log.info("no feature directions: %s", e)
    return None


def shifted_code(click: Click, w: pd.DataFrame | None, alphas: dict[str, float]) -> np.ndarray:
    """The clicked code pushed by α·w_f along each attribute f."""
    z = click.z.astype(np.float64).copy()
    if w is not None:
        for name, a in alphas.items():
            if a and name in w.index:
                z[0, :2] += a * w.loc[name].to_numpy()[:2]
    return z.astype(np.float32)
