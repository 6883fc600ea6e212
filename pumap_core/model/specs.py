"""Settings that belong together, as small value objects: the two-code model
(:class:`TwoCode`) and the shape of a built-in network (:class:`MLP`, :class:`Conv`).

They are frozen dataclasses, not components: ``clone`` copies them, a change
is a new value (``set_params(two_code=spec.replace(map_epochs=0))``), and a
model file stores them as JSON (:func:`spec_to_json`, :func:`spec_from_json`).
Each checks itself and names the field at fault.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..nets.conv import CONV_WIDTHS
from ..nets.mlp import MLP_HIDDEN
from ..nets.pca_start import MLP_HIDDEN as PCA_MLP_HIDDEN
from ..nets.two_code import MAP_HIDDEN
from ..validation import InvalidParameterError, check_int

#: Learning rate of the map stage (``refine_map``): the map head is small and its
#: inputs fixed; on CelebA codes 1e-2 reached a higher held-out trustworthiness in 30
#: epochs than 3e-3 (.854 vs .849; benchmarks/results/faces_design.md).
MAP_LEARNING_RATE = 1e-2
#: Edges per step of the map stage: the head reads d numbers per row, so large
#: batches are cheap (~45 epochs of 7,000 faces in 90 s on two busy cores).
MAP_BATCH_SIZE = 512


def _positive_ints(values: Any, name: str) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidParameterError(f"{name} must be a sequence of integers, got {values!r}")
    values = tuple(values)
    if not values:
        raise InvalidParameterError(f"{name} must hold at least one width, got {values!r}")
    return tuple(check_int(v, name, 1) for v in values)


class _Spec:
    """What the specs share: ``replace`` and a check run by ``fit``."""

    def replace(self, **changes: Any):
        """A copy with ``changes`` (the spec itself never changes)."""
        return dataclasses.replace(self, **changes)

    def check(self, name: str) -> None:  # pragma: no cover - every spec overrides it
        raise NotImplementedError


@dataclass(frozen=True)
class TwoCode(_Spec):
    """A *two-code model*: a wide code for the decoder, a small map for the plot.

    The encoder produces a ``code_components``-D code, which the decoder reads
    (wide enough to hold a face), and a small MLP head turns each code into
    the ``n_components``-D map that ``transform`` returns, trained on the same
    UMAP graph at the same time. Pass it as ``ParametricUMAP(two_code=...)``.

    Parameters
    ----------
    code_components : int, default=16
        Width of the code (what ``encode`` returns and ``decode`` reads).
    map_grad : float, default=0.0
        Share of the gradient of UMAP's loss on the map that reaches the code,
        in [0, 1]. 0: the map reads the codes without changing them; the code
        is shaped by the decoder and by ``code_umap_weight``.
    map_hidden : tuple of int, default=(256, 256, 256)
        Hidden layer widths of the map head.
    map_epochs : int, default=0
        Epochs of the *map stage* that ``fit`` runs after the joint training:
        the map head alone, on the final codes (:meth:`ParametricUMAP.refine_map`).
        Cheap (the head's inputs are ``code_components`` numbers), so the map
        finishes converging.
    map_batch_size : int, default=512
        Edges per step of the map stage.
    map_learning_rate : float, default=1e-2
        Adam's learning rate in the map stage (decaying linearly to 0).
    """

    code_components: int = 16
    map_grad: float = 0.0
    map_hidden: tuple[int, ...] = MAP_HIDDEN
    map_epochs: int = 0
    map_batch_size: int = MAP_BATCH_SIZE
    map_learning_rate: float = MAP_LEARNING_RATE

    def check(self, name: str = "two_code") -> None:
        """Raise an InvalidParameterError naming the first field out of range."""
        check_int(self.code_components, f"{name}.code_components", 1)
        check_int(self.map_epochs, f"{name}.map_epochs", 0)
        check_int(self.map_batch_size, f"{name}.map_batch_size", 1)
        _positive_ints(self.map_hidden, f"{name}.map_hidden")
        if not 0.0 <= _number(self.map_grad, f"{name}.map_grad") <= 1.0:
            raise InvalidParameterError(f"{name}.map_grad must be in [0, 1], got {self.map_grad!r}")
        if not 0.0 < _number(self.map_learning_rate, f"{name}.map_learning_rate") <= 1.0:
            raise InvalidParameterError(f"{name}.map_learning_rate must be in (0, 1], got "
                                        f"{self.map_learning_rate!r}")


@dataclass(frozen=True)
class MLP(_Spec):
    """The built-in fully connected encoder or decoder, with these hidden widths.

    ``encoder="mlp"`` is ``encoder=MLP()``. Behind ``input_projection`` the
    encoder's MLP reads the projected rows.

    Parameters
    ----------
    hidden : tuple of int, default=(100, 100, 100)
        Widths of the hidden ReLU layers, input side first.
    pca_start : bool, default=False
        Start as whitened PCA: the network is PCA plus an MLP residual on the
        first 100 whitened PCA coordinates whose output layer starts at zero
        (``"pca_mlp"``; a fraction of a conv net's cost on large images).
    """

    hidden: tuple[int, ...] = MLP_HIDDEN
    pca_start: bool = False

    def check(self, name: str = "encoder") -> None:
        _positive_ints(self.hidden, f"{name}.hidden")


@dataclass(frozen=True)
class Conv(_Spec):
    """The built-in convolutional encoder or decoder (image data only).

    ``encoder="conv"`` is ``encoder=Conv()``; ``"pca_conv"`` is
    ``Conv(pca_start=True)``.

    Parameters
    ----------
    widths : tuple of int, default=(32, 64, 128, 256)
        Channels of the stride-2 layers, one per halving of the image until it
        is about 8 pixels a side (extra widths are unused).
    pca_start : bool, default=False
        Start as whitened PCA: the network is PCA plus a convolutional
        residual whose output layer starts at zero, so the decodes are PCA's
        from the first step (what the face model uses).
    """

    widths: tuple[int, ...] = CONV_WIDTHS
    pca_start: bool = False

    def check(self, name: str = "encoder") -> None:
        _positive_ints(self.widths, f"{name}.widths")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None


#: The shorthand names of built-in networks and the spec each one means.
NETWORK_NAMES = {"mlp": MLP(), "conv": Conv(), "pca_conv": Conv(pca_start=True),
                 "pca_mlp": MLP(hidden=PCA_MLP_HIDDEN, pca_start=True)}
_SPECS = {"two_code": TwoCode, "mlp": MLP, "conv": Conv}


def network_choice(kind: Any) -> tuple[str, dict[str, tuple[int, ...]]]:
    """``(kind, widths)`` of a network setting for :mod:`pumap_core.nets.factory`:
    ``"auto"``, ``"mlp"``, ``"conv"`` or ``"pca_conv"``, and the ``conv_widths`` or
    ``mlp_hidden`` a spec sets (none for ``"auto"``, which depends on the data)."""
    if isinstance(kind, str) and kind in NETWORK_NAMES:
        kind = NETWORK_NAMES[kind]
    if isinstance(kind, MLP):
        return ("pca_mlp" if kind.pca_start else "mlp"), {"mlp_hidden": tuple(kind.hidden)}
    if isinstance(kind, Conv):
        return ("pca_conv" if kind.pca_start else "conv"), {"conv_widths": tuple(kind.widths)}
    if isinstance(kind, str) and kind == "auto":
        return "auto", {}
    raise InvalidParameterError(f"network kind must be 'auto', 'mlp', 'conv', 'pca_conv', "
                                f"'pca_mlp', MLP(...), "
                                f"Conv(...) or an nn.Module, got {kind!r}")


def spec_to_json(spec: _Spec) -> dict[str, Any]:
    """``{"type": "conv", "widths": [...], ...}``: plain JSON values."""
    kind = {TwoCode: "two_code", MLP: "mlp", Conv: "conv"}[type(spec)]
    fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    return {"type": kind, **{k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}}


def spec_from_json(data: dict[str, Any]) -> _Spec:
    """The spec :func:`spec_to_json` wrote (a ValueError for anything else)."""
    data = dict(data)
    cls = _SPECS.get(data.pop("type", None))
    if cls is None:
        raise ValueError(f"unknown settings object {data!r}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def is_spec(value: Any) -> bool:
    return isinstance(value, _Spec)
