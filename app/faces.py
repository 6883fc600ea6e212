"""Faces in the app: the size face data load at, the face settings a run uses,
and whether a loaded model fits the data on screen.

Every face folder (the built-in CelebA and any folder in its layout opened by
path) loads at one size, so a face model trained on one decodes the others.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

#: side of the square face images the app trains and decodes (3,072 RGB values)
FACE_SIZE = 32
#: rows to keep from any data set (0 = all): for quick demos and browser tests
MAX_ROWS = int(os.environ.get("PUMAP_APP_MAX_ROWS", "0") or 0)


def is_face_source(source: str) -> bool:
    """The built-in CelebA, or a path to a folder in CelebA's layout."""
    from pumap_core.data.celeba import is_celeba_dir

    if source.startswith("celeba"):
        return True
    path = Path(source).expanduser()
    return path.is_dir() and is_celeba_dir(path)


def load_options(source: str, options: dict[str, Any]) -> dict[str, Any]:
    """``pumap_core.data.load`` options with the app's choices for faces and row limit."""
    options = dict(options)
    if "image_size" not in options and is_face_source(source):
        options["image_size"] = FACE_SIZE
    if MAX_ROWS and "limit" not in options:
        options["limit"] = MAX_ROWS
    return options


def preset(ds) -> dict[str, Any]:
    """The settings of this kind of data that do not depend on measured cost (the graph's,
    the sidebar's): the image settings (the face model's) for image sets that would get
    full-resolution convolutions, else the engine's defaults ({}). The run itself takes
    the data's run plan (:func:`pumap_core.run_plan.plan_run`)."""
    from pumap_core.run_plan import IMAGE_NETWORKS, image_settings, wants_image_model

    return image_settings(IMAGE_NETWORKS[0]) if wants_image_model(ds) else {}


def shown_settings(ds, names: tuple[str, ...], previous=None) -> dict[str, Any]:
    """Values for the page's settings ``names`` when ``ds`` replaces ``previous``: the
    preset's, so the sidebar shows what Train will use; settings the previous data
    set's preset had changed go back to the engine's defaults; others stay as chosen."""
    from pumap_core import ParametricUMAP

    defaults, chosen = ParametricUMAP().get_params(), preset(ds)
    before = preset(previous) if previous is not None else {}
    shown = {name: chosen.get(name, defaults[name]) for name in names
             if name in chosen or name in before}
    return {name: None if value == "auto" else value for name, value in shown.items()}


def training_params(params: dict[str, Any]) -> dict[str, Any]:
    """What the page says of a run, over the data's run plan (``None``, e.g. automatic
    epochs, leaves the plan's value)."""
    return {k: v for k, v in params.items() if v is not None}


def fit_input(ds) -> np.ndarray:
    """What a model trains on and embeds: images keep their shape, so the model knows
    its image size (conv nets for colour faces; a clear message on other sizes)."""
    shape = ds.image_shape
    if shape and ds.X.shape[1] == int(np.prod(shape)):
        return ds.X.reshape(len(ds.X), *shape)
    return ds.X


def check_model_fits(model, ds) -> None:
    """Raise ValueError saying how ``model`` and ``ds`` differ, if it cannot embed them."""
    try:
        model.check_input(fit_input(ds))
    except ValueError as e:
        raise ValueError(f"{e} ({ds.name!r} cannot be shown with this model: open data of "
                         "the model's kind, or train a new model on it)") from None
