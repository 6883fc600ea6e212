"""Data sets for pumap_core: one :class:`Dataset` type, one :func:`load` entry point.

>>> from pumap_core.data import load, available_datasets
>>> ds = load("digits")                 # offline, bundled with scikit-learn
>>> ds = load("mnist", limit=10_000)    # via PUMAP_DATA_DIR or the download cache
>>> ds = load("path/to/table.parquet", label_column="cell_type")

Fetch MNIST / Fashion-MNIST with ``python -m pumap_core.data download mnist``.
"""

from .dataset import DataError, Dataset
from .loader import load, load_digits
from .sources import available_datasets, cache_dir

__all__ = ["DataError", "Dataset", "available_datasets", "cache_dir", "load", "load_digits"]
