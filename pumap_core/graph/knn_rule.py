"""Which neighbour search a graph uses: the one rule the library and its callers share.

Exact search costs about ``n² · d`` multiply-adds, NN-descent (pynndescent) far
less on large data but a minute or two of numba compilation the first time.
:func:`knn_method_for` is what ``nearest_neighbors(method="auto")`` decides, so a
caller (the dashboard's progress line, a cost estimate) can say in advance
which search a graph will run.
"""

from __future__ import annotations

#: Values of a ``knn_method``: exact search, NN-descent, or exact while the work is small.
KNN_METHODS = ("auto", "exact", "approx")
#: Work (n * n * d) below which "auto" uses exact search rather than NN-descent.
EXACT_WORK_LIMIT = 1e11


def knn_method_for(n_rows: int, n_features: int, method: str = "auto") -> str:
    """``"exact"`` or ``"approx"``: the search a graph of ``n_rows`` × ``n_features``
    runs when asked for ``method`` (``"auto"`` picks exact while the work is small)."""
    if method not in KNN_METHODS:
        raise ValueError(f"method must be one of {KNN_METHODS}, got {method!r}")
    if method != "auto":
        return method
    return "exact" if float(n_rows) * n_rows * n_features <= EXACT_WORK_LIMIT else "approx"
