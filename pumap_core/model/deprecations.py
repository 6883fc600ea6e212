"""Constructor spellings kept for one release, and the parameters of old model files.

``callback``, ``snapshot_embedding`` and ``snapshot_interval`` are run-time
hooks, not model settings: they moved to ``fit``. ``code_components``,
``map_grad`` and ``map_epochs`` moved into ``two_code=TwoCode(...)``, and
``conv_widths`` into ``encoder=Conv(widths=...)``. Given to the constructor
they still work, with a ``FutureWarning`` that names the new spelling; model
files are written in the new spelling, and old files load without a warning.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..validation import InvalidParameterError
from .specs import Conv, TwoCode, network_choice, spec_from_json

#: The default of a deprecated constructor parameter: "not given".
DEPRECATED = "deprecated"
#: Deprecated constructor parameter -> where it moved.
MOVED = {
    "callback": "fit(X, callback=...)",
    "snapshot_embedding": "fit(X, snapshot_embedding=...)",
    "snapshot_interval": "fit(X, snapshot_interval=...)",
    "code_components": "two_code=TwoCode(code_components=...)",
    "map_grad": "two_code=TwoCode(map_grad=...)",
    "map_epochs": "two_code=TwoCode(map_epochs=...)",
    "conv_widths": "encoder=Conv(widths=...) and decoder=Conv(widths=...)",
}
_TWO_CODE = ("code_components", "map_grad", "map_epochs")
_RUN_HOOKS = ("callback", "snapshot_embedding", "snapshot_interval")
#: ``fit``'s snapshot spacing when neither ``fit`` nor the constructor sets one.
SNAPSHOT_INTERVAL = 0.5


def _is_unset(value: Any) -> bool:
    return isinstance(value, str) and value == DEPRECATED


def given(est) -> dict[str, Any]:
    """The deprecated constructor parameters ``est`` was given, by name."""
    return {name: getattr(est, name) for name in MOVED
            if not _is_unset(getattr(est, name, DEPRECATED))}


def warn_given(est) -> None:
    """One FutureWarning per deprecated parameter ``est`` was given."""
    for name in given(est):
        warnings.warn(f"ParametricUMAP({name}=...) is deprecated and will be removed in the next "
                      f"release; use {MOVED[name]} instead", FutureWarning, stacklevel=3)


def two_code_of(est) -> TwoCode | None:
    """The two-code model ``est`` asks for: ``two_code``, or the deprecated spelling."""
    old = {k: v for k, v in given(est).items() if k in _TWO_CODE}
    if not old:
        return est.two_code
    if est.two_code is not None:
        raise InvalidParameterError(f"pass two_code=TwoCode(...) or the deprecated {sorted(old)}, "
                                    "not both")
    if old.get("code_components") is None:
        set_ = {k: v for k, v in old.items() if k != "code_components" and v}
        if set_:
            raise InvalidParameterError(f"{sorted(set_)} only apply to two-code models: set "
                                        "two_code=TwoCode(code_components=d, ...)")
        return None
    return TwoCode(**old)


def network_of(est, part: str) -> tuple[str, dict[str, tuple[int, ...]]]:
    """``(kind, widths)`` of the built-in ``part`` ("encoder" or "decoder") that ``est``
    asks for (see :func:`~pumap_core.model.specs.network_choice`), with the deprecated
    ``conv_widths`` applied to conv networks named by a string."""
    value = getattr(est, part)
    kind, widths = network_choice(value)
    old = given(est).get("conv_widths")
    if old is not None and isinstance(value, str) and kind != "mlp":
        widths = {"conv_widths": tuple(int(w) for w in old)}
    return kind, widths


def run_hooks(est, callback, snapshot_embedding, snapshot_interval) -> tuple[Any, Any, Any]:
    """``fit``'s ``(callback, snapshot_embedding, snapshot_interval)``: its own
    arguments, else the deprecated constructor's, else the defaults."""
    old = given(est)
    if callback is None:
        callback = old.get("callback")
    if snapshot_embedding is None:
        snapshot_embedding = old.get("snapshot_embedding")
    if snapshot_interval is None:
        snapshot_interval = old.get("snapshot_interval", SNAPSHOT_INTERVAL)
    return callback, snapshot_embedding, snapshot_interval


def current_spelling(params: dict[str, Any], encoder_config: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Parameters in today's spelling, without warnings: a model's own before its file
    is written, and an old file's when it is read (that is no deprecated call). Run-time
    hooks are dropped. ``encoder_config``: the stored encoder's description, whose map
    head tells an old two-code file's ``map_hidden``."""
    params = {k: (spec_from_json(v) if isinstance(v, dict) else v) for k, v in params.items()}
    for name in _RUN_HOOKS:
        params.pop(name, None)
    old = {k: params.pop(k) for k in _TWO_CODE if k in params}
    if old.get("code_components") is not None:
        hidden = (encoder_config or {}).get("map_hidden")
        params["two_code"] = TwoCode(**old, **({"map_hidden": tuple(hidden)} if hidden else {}))
    widths = params.pop("conv_widths", None)
    if widths is not None:
        for part in ("encoder", "decoder"):
            if params.get(part) in ("conv", "pca_conv"):
                params[part] = Conv(tuple(widths), pca_start=params[part] == "pca_conv")
    return params
