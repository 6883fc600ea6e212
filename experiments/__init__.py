"""Experiments: the paper's experiments reproduced, and studies of our own choices.

Run from the repository root: ``python -m experiments.<name> --help``. Shared
code lives in :mod:`harness`; nothing here imports from ``benchmarks``.
"""
