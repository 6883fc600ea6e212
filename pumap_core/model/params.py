"""Every parameter and input of :class:`~pumap_core.model.estimator.ParametricUMAP`
checked, with an error that names the problem.

A neighbour graph of a large data set takes minutes; a typo in a parameter
must not wait for it, so ``fit`` runs :func:`check_params` (the estimator
alone) and :func:`check_fit_inputs` (with the data) before any expensive
step. :func:`check_new_rows` checks data for a fitted model.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from torch import nn

from ..graph.build import NeighborGraph, check_graph
from ..graph.neighbors import KNN_METHODS
from ..graph.sampling import NEGATIVE_MODES
from ..nets.classifier import CLASSIFIER_INPUTS
from ..nets.factory import wants_conv
from ..scaling import InputScaling
from ..training.initialization import INITS
from ..training.live import LIVE, check_live_settings
from ..validation import InvalidParameterError, check_array, check_fit_data, check_int
from . import deprecations
from .specs import Conv, TwoCode, is_spec

#: Fewest rows a neighbour graph can be built on: each row and two neighbours.
MIN_ROWS = 3


def _shape_text(shape) -> str:
    """(32, 32, 3) → "32×32×3"."""
    return "×".join(str(int(s)) for s in shape)


def checked_rows(X: Any, name: str = "X", finite: bool = True
                 ) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """``(rows, image_shape)``: checked float32 rows, images flattened channel-last
    (``finite=False``: NaN and infinity left for the caller to find)."""
    arr = check_array(X, name=name, allow_images=True, scale_uint8=True, finite=finite)
    image_shape = tuple(int(s) for s in arr.shape[1:]) if arr.ndim > 2 else None
    return arr.reshape(arr.shape[0], -1), image_shape


def scaled_rows(X: Any, input_scale: float | None = None
                ) -> tuple[np.ndarray, tuple[int, ...] | None, InputScaling]:
    """:func:`checked_rows` and how they were made from raw values: uint8 pixels by 1/255,
    else ``input_scale`` (1 when None), with their range (``fit`` keeps it)."""
    raw_uint8 = getattr(X, "dtype", None) == np.uint8
    rows, image_shape = checked_rows(X)
    return rows, image_shape, InputScaling.of(rows, 1 / 255 if raw_uint8 else input_scale or 1.0)


def check_new_rows(est, X: Any, finite: bool = True) -> np.ndarray:
    """Rows of ``X`` for the fitted ``est``'s encoder, or a ValueError that says how they
    differ from what it was fitted on (image size, channels, number of features)."""
    X, image_shape = checked_rows(X, finite=finite)
    fitted = est.image_shape_
    if image_shape is not None and fitted is not None and tuple(image_shape) != tuple(fitted):
        raise ValueError(f"X holds images of shape {_shape_text(image_shape)}, but this model "
                         f"was fitted on {_shape_text(fitted)} images; load or resize the "
                         "data to that size and channel count")
    if X.shape[1] != est.n_features_in_:
        what = f", {_shape_text(fitted)} images" if fitted is not None else ""
        raise ValueError(f"X has {X.shape[1]} features, but {type(est).__name__} is expecting "
                         f"{est.n_features_in_} features as input (fitted with "
                         f"{est.n_features_in_}{what})")
    return X


def _one_of(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise InvalidParameterError(f"{name} must be one of {choices}, got {value!r}")


def check_params(est) -> None:
    """Raise a ValueError naming the first parameter of ``est`` that is out of range."""
    for name, low in (("n_components", 1), ("n_neighbors", 2), ("negative_sample_rate", 0)):
        check_int(getattr(est, name), name, low)
    if est.batch_size != "auto":
        check_int(est.batch_size, "batch_size", 1)
    if est.n_epochs is not None:
        check_int(est.n_epochs, "n_epochs", 1)
    check_live_settings({name: getattr(est, name) for name in LIVE
                         if getattr(est, name, None) is not None}, {"spread": est.spread})
    _one_of("classifier_input", est.classifier_input, CLASSIFIER_INPUTS)
    _one_of("init", est.init, INITS)
    _one_of("negatives", est.negatives, NEGATIVE_MODES)
    _one_of("knn_method", est.knn_method, KNN_METHODS)
    _one_of("reconstruction_loss", est.reconstruction_loss, ("auto", "mse", "bce"))
    if est.input_noise not in (None, "auto") and not float(est.input_noise) >= 0:
        raise InvalidParameterError(f"input_noise must be 'auto', None or a number >= 0, "
                                    f"got {est.input_noise!r}")
    for name in ("reconstruction_rows", "input_projection"):
        if getattr(est, name) not in (None, "auto"):
            check_int(getattr(est, name), name, 1)
    if not isinstance(est.metric, str):
        raise InvalidParameterError(f"metric must be a metric's name, got {est.metric!r}")
    _check_networks(est)
    _check_two_code(est)


def check_snapshots(snapshot_embedding: Any, snapshot_interval: Any) -> None:
    """``fit``'s snapshot settings: "all", None or a number of rows; seconds >= 0."""
    if snapshot_embedding not in (None, "all"):
        check_int(snapshot_embedding, "snapshot_embedding", 1)
    if isinstance(snapshot_interval, bool) or not isinstance(snapshot_interval, (int, float)) \
            or not snapshot_interval >= 0:
        raise InvalidParameterError(f"snapshot_interval must be a number of seconds >= 0, got "
                                    f"{snapshot_interval!r}")


def _check_networks(est) -> None:
    for part in ("encoder", "decoder"):
        value = getattr(est, part)
        if isinstance(value, nn.Module):
            continue
        deprecations.network_of(est, part)  # a known name or a spec
        if is_spec(value):
            value.check(part)
    widths = deprecations.given(est).get("conv_widths")
    if widths is not None:
        Conv(tuple(widths)).check("conv_widths")


def _check_two_code(est) -> None:
    two_code = deprecations.two_code_of(est)
    if two_code is not None and not isinstance(two_code, TwoCode):
        raise InvalidParameterError(f"two_code must be a TwoCode(...) or None, got {two_code!r}")
    if two_code is not None:
        two_code.check()
    elif est.code_umap_weight:
        raise InvalidParameterError(
            f"code_umap_weight={est.code_umap_weight!r} weights UMAP's loss on the codes of a "
            "two-code model, but this model has one code: set two_code=TwoCode(...) or leave "
            "code_umap_weight at 0")


def fit_neighbors(n_neighbors: int, n_rows: int) -> int:
    """``n_neighbors``, lowered with a warning to ``n_rows - 1`` on smaller data, as
    umap-learn does (a graph prebuilt by the same rule then matches)."""
    if n_rows < MIN_ROWS:
        raise ValueError(f"Found array with {n_rows} sample(s) (n_samples={n_rows}) while a "
                         f"minimum of {MIN_ROWS} is required: a neighbour graph needs each row "
                         "and two others")
    if n_neighbors < n_rows:
        return int(n_neighbors)
    warnings.warn(f"n_neighbors={n_neighbors} is at least the number of rows ({n_rows}); "
                  f"using n_neighbors={n_rows - 1}", UserWarning, stacklevel=3)
    return n_rows - 1


def check_fit_inputs(est, X: np.ndarray, image_shape: tuple[int, ...] | None,
                     graph: NeighborGraph | None, knn: tuple | None) -> None:
    """What depends on the data: enough distinct rows, a graph or kNN that belongs to
    them, networks that can read them."""
    if graph is not None and knn is not None:
        raise ValueError("pass either graph= or knn=, not both")
    if est.metric == "precomputed" and graph is None and knn is None:
        raise ValueError("metric='precomputed' needs the neighbours from elsewhere: pass the "
                         "features X with knn=(indices, distances) or graph=build_graph(D, "
                         "metric='precomputed'); a distance matrix alone has no features to encode")
    check_fit_data(X, est.n_neighbors_)
    if graph is not None:
        check_graph(graph, X.shape[0], est.n_neighbors_, est.metric)
    if est.input_projection not in (None, "auto") and est.input_projection > X.shape[1]:
        raise InvalidParameterError(f"input_projection must be in [1, {X.shape[1]}] (the number "
                                    f"of features), got {est.input_projection}")
    parts = ["encoder"] + (["decoder"] if est.reconstruction else [])
    for part in parts:
        if not isinstance(getattr(est, part), nn.Module):
            wants_conv(deprecations.network_of(est, part)[0], image_shape)
