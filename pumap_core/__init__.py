"""Parametric UMAP in PyTorch (Sainburg, McInnes & Gentner, Neural Computation 2021).

>>> from pumap_core import ParametricUMAP
>>> Z = ParametricUMAP(n_components=2).fit_transform(X)   # doctest: +SKIP
"""

from .controls import Snapshot, TrainingControls
from .estimator import ParametricUMAP
from .io import ModelFileError

__all__ = ["ParametricUMAP", "Snapshot", "TrainingControls", "ModelFileError"]
__version__ = "0.1.0"
