"""Benchmarks: ours measured against peers (umap-learn, PCA, Keras) and against targets.

Run from the repository root: ``python -m benchmarks.<name> --help``. Shared
code lives in :mod:`harness`; nothing here imports from ``experiments``.
"""
