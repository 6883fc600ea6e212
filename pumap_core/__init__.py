"""Parametric UMAP in PyTorch (Sainburg, McInnes & Gentner, Neural Computation 2021).

>>> from pumap_core import ParametricUMAP
>>> Z = ParametricUMAP(n_components=2).fit_transform(X)   # doctest: +SKIP

The package follows the pipeline: ``data`` (loading) → ``graph`` (neighbours,
fuzzy graph, edge sampling) → ``training`` (losses, loop, live controls) with
``nets`` (the networks) → ``model`` (the estimator) → ``eval`` (metrics, the
objective); ``persistence`` reads and writes model files. See ARCHITECTURE.md.

The top-level names are imported lazily, so ``pumap_core.data`` and
``pumap_core.eval.metrics`` load without torch.
"""

from __future__ import annotations

import importlib

__all__ = ["ParametricUMAP", "TwoCode", "MLP", "Conv", "Snapshot", "TrainingControls",
           "ModelFileError"]
__version__ = "0.1.0"

_LAZY = {"ParametricUMAP": "model.estimator", "TwoCode": "model.specs", "MLP": "model.specs",
         "Conv": "model.specs", "Snapshot": "training.live",
         "TrainingControls": "training.live", "ModelFileError": "persistence"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'pumap_core' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
