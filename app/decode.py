"""What a click decodes: the code behind a map point, and that code steered along attributes.

A model either keeps a code apart from its 2-D map (``encode`` gives n × d,
``transform`` n × 2) or uses the map itself as its code (older single-code
models). A click near a data point decodes that point's own code; a click on
empty space decodes a code for that place: the map point itself when the map
is the code, otherwise the inverse-distance weighted codes of the nearest
points. Attribute directions are fitted on codes and ranked by how much they
change the decode, so the sliders that matter come first.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pumap_core.features import (
    direction_scales,
    feature_vectors,
    image_lightness,
    shift_codes,
    without_covariates,
)

log = logging.getLogger(__name__)

#: a click this close to a point (plot units; the map fills about [-1, 1]) is on it
ON_POINT = 0.015
#: rows around a click on empty space whose codes the model interpolates from
N_REFERENCE = 32
#: codes the attribute directions are fitted on (a random subset of bigger data)
DIRECTION_ROWS = 3000
#: codes whose decodes measure each direction's effect
N_EFFECT_CODES = 16
#: while a model trains, directions older than this are refitted at the next click
REFIT_S = 20.0
N_NEIGHBOURS_SHOWN = 8


@dataclass
class Click:
    """A click on the plot: where, the code there, what it decodes to, what is really there."""

    x: float
    y: float
    z: np.ndarray
    nearest: int = -1
    on_point: bool = False
    neighbours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    decoded: np.ndarray | None = None
    message: str = ""
    ms: float = 0.0
    model: object = field(default=None, repr=False)  # what decoded it: steering uses it too


@dataclass
class Steering:
    """Attribute directions on one model's codes, strongest effect on the decode first.

    A slider at s moves a code by s standard deviations of the codes along
    that attribute's direction (``scales`` converts to the direction's units).
    """

    directions: pd.DataFrame
    strength: pd.Series  # mean |decode change| when a code gains the attribute, strongest first
    scales: pd.Series  # direction units per sd, by attribute
    key: tuple  # the run (and published step) of the model they were fitted on
    step: int
    made: float
    from_labels: bool = False  # directions between classes (no attribute table)

    @property
    def names(self) -> list[str]:
        return [str(n) for n in self.strength.index]


def has_own_code(model) -> bool:
    """True when the model's code is not its 2-D map (``encode`` differs from ``transform``)."""
    return bool(getattr(model, "has_two_codes", False))


def encode(model, X: np.ndarray) -> np.ndarray:
    """Codes of rows ``X`` (the map coordinates for a single-code model)."""
    return np.asarray(model.encode(X), np.float32)


def decode_codes(model, codes: np.ndarray) -> np.ndarray:
    return np.asarray(model.decode(np.asarray(codes, np.float32)))


def decoder_problem(model) -> str:
    """Why ``model`` cannot decode, or "" when it can."""
    if model is None or not hasattr(model, "encoder_"):
        return "No model yet: press Train."
    if getattr(model, "decoder_", None) is None:
        return "This model has no decoder: train with reconstruction on to decode."
    return ""


def code_at(model, frame, X: np.ndarray, x: float, y: float) -> tuple[np.ndarray, int, bool]:
    """``(code (1 × d), nearest row, on_point)`` for plot point (x, y).

    Off the points of a two-code model, the code is the model's ``codes_at``
    the map point, interpolated from the nearby rows encoded now (the model
    may still be training, so stored training codes would be stale).
    """
    dist, idx = frame.neighbours(x, y, N_REFERENCE)
    if dist[0] <= ON_POINT:
        return encode(model, X[idx[:1]]), int(idx[0]), True
    point = frame.to_latent(x, y)
    if not has_own_code(model):
        return point, int(idx[0]), False
    return np.asarray(model.codes_at(point, X=X[np.sort(idx)]), np.float32), int(idx[0]), False


def click_at(frame, model, X: np.ndarray, x: float, y: float) -> Click:
    """Decode the code under plot point (x, y) and find what is really there."""
    t0 = time.perf_counter()
    if model is None or not hasattr(model, "encoder_"):
        c = Click(x=float(x), y=float(y), z=frame.to_latent(x, y), nearest=frame.nearest(x, y),
                  message=decoder_problem(model))
    else:
        z, nearest, on_point = code_at(model, frame, X, x, y)
        c = Click(x=float(x), y=float(y), z=z, nearest=nearest, on_point=on_point, model=model)
        c.decoded, c.message = decode(model, z)
    graph = getattr(model, "graph_", None)
    if graph is not None and 0 <= c.nearest < graph.knn_indices.shape[0]:
        c.neighbours = graph.knn_indices[c.nearest, 1:N_NEIGHBOURS_SHOWN + 1].copy()
    c.ms = (time.perf_counter() - t0) * 1000
    return c


def decode(model, z: np.ndarray) -> tuple[np.ndarray | None, str]:
    """``(image, "")`` for code ``z`` (1 × d), or ``(None, why not)``: a click never
    raises into the page."""
    problem = decoder_problem(model)
    if problem:
        return None, problem
    try:
        return decode_codes(model, z)[0], ""
    except (ValueError, RuntimeError) as e:
        return None, f"Could not decode: {e}"


def shifted(code: np.ndarray, steering: Steering | None, sds: dict[str, float]) -> np.ndarray:
    """``code`` pushed ``sds[name]`` standard deviations along each named attribute."""
    z = np.asarray(code, np.float32)
    if steering is None:
        return z
    for name, s in sds.items():
        if s and name in steering.directions.index:
            z = shift_codes(z, steering.directions, name, s * float(steering.scales[name]))
    return z


def fit_steering(model, ds, frame, seed: int = 0, key: tuple = ()) -> Steering | None:
    """Directions of ``ds``'s attributes (or labels) on the model's codes, ranked by effect.
    ``key`` says which model they belong to (see :func:`is_current`)."""
    if decoder_problem(model) or frame is None or frame.n_train != ds.n_samples:
        return None
    attrs = ds.attributes.select_dtypes(include=["number", "bool"])
    if not len(attrs.columns) and ds.labels is None:
        return None
    rows = np.arange(ds.n_samples)
    if len(rows) > DIRECTION_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, DIRECTION_ROWS, replace=False))
    codes = encode(model, ds.X[rows]) if has_own_code(model) else frame.train_z[rows]
    light = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(attrs.columns):  # lighting and skin tone held fixed, where there are images
                light = image_lightness(ds.images[rows]) if ds.images is not None else None
                w = feature_vectors(codes, attrs.iloc[rows].reset_index(drop=True),
                                    covariates=light)
            else:
                w = feature_vectors(codes, ds.labels[rows], ds.label_names)
        strength = attribute_effects(model, codes, w, seed)
    except (ValueError, TypeError) as e:
        log.info("no feature directions: %s", e)
        return None
    # a slider's unit: the codes' spread along the direction, lighting left out of it
    spread = without_covariates(codes, light) if light is not None else codes
    return Steering(directions=w, strength=strength, scales=direction_scales(spread, w),
                    key=key, step=frame.step, made=time.monotonic(),
                    from_labels=not len(attrs.columns))


def attribute_effects(model, codes: np.ndarray, directions: pd.DataFrame,
                      seed: int = 0) -> pd.Series:
    """How much gaining each attribute (a shift by its whole direction) changes the decode.

    Ranked by the attribute's own effect, not by a shift of equal length: a
    rare attribute with a noisy direction then ranks low, Smiling or Male high.
    """
    rng = np.random.default_rng(seed)
    base = codes[rng.choice(len(codes), min(N_EFFECT_CODES, len(codes)), replace=False)]
    gained = np.concatenate([base] + [shift_codes(base, directions, f, 1.0)
                                      for f in directions.index])
    out = decode_codes(model, gained).reshape(len(directions) + 1, len(base), -1)
    effect = np.abs(out[1:] - out[:1]).mean(axis=(1, 2))
    return pd.Series(effect, index=directions.index, name="effect").sort_values(
        ascending=False, kind="stable")


def is_current(steering: Steering | None, key: tuple, frame, training: bool) -> bool:
    """Whether ``steering`` still fits the model ``key`` names (its run, and while it
    trains the published step): the same model, or one of the same run not yet stale."""
    if steering is None or frame is None or steering.key[:1] != key[:1]:
        return False
    if steering.key == key:
        return True
    return training and time.monotonic() - steering.made < REFIT_S
