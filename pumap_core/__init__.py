"""Parametric UMAP in PyTorch (Sainburg, McInnes & Gentner, Neural Computation 2021).

>>> from pumap_core import ParametricUMAP
>>> Z = ParametricUMAP(n_components=2).fit_transform(X)   # doctest: +SKIP

The top-level names are imported lazily, so ``pumap_core.data`` and
``pumap_core.metrics`` load without torch.
"""

from __future__ import annotations

import importlib

__all__ = ["ParametricUMAP", "Snapshot", "TrainingControls", "ModelFileError"]
__version__ = "0.1.0"

_LAZY = {"ParametricUMAP": "estimator", "Snapshot": "controls",
         "TrainingControls": "controls", "ModelFileError": "io"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'pumap_core' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
