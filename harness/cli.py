"""Command-line arguments the paper-experiment style scripts share."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.data import Split, load_split
from harness.report import MNIST_SIZES


def parser(description: str, out: Path) -> argparse.ArgumentParser:
    """The arguments every such script takes (results under ``out`` by default);
    scripts add their own."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true",
                   help="the paper's sizes (all rows, more epochs): hours on two CPU cores")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None,
                   help="folder holding mnist/ (default $PUMAP_DATA_DIR, else ../shared/data)")
    p.add_argument("--threads", type=int, default=2, help="torch, numba and BLAS threads")
    p.add_argument("--out", type=Path, default=out, help="where results are written")
    return p


def mnist_or_digits(description: str, out: Path) -> argparse.ArgumentParser:
    """The arguments of a benchmark run on MNIST or, in a minute, on scikit-learn's digits:
    ``--data``, ``--data-dir``, ``--seed``, ``--threads`` (1) and ``--out``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", choices=("mnist", "digits"), default="mnist")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=out)
    return p


def add_methods_argument(p: argparse.ArgumentParser, methods: dict[str, str]) -> None:
    """``--methods``: a subset of ``methods`` (short key -> table label) to run."""
    p.add_argument("--methods", nargs="+", choices=list(methods), default=list(methods),
                   help="methods to run: " + "; ".join(f"{k} = {v}" for k, v in methods.items()))


def add_size_args(p: argparse.ArgumentParser, n_train: int, n_test: int) -> None:
    """``--n-train`` / ``--n-test``: the default subsample; ``--full`` overrides both."""
    p.add_argument("--n-train", type=int, default=n_train,
                   help=f"training rows (default {n_train:,}; --full: all {MNIST_SIZES[0]:,})")
    p.add_argument("--n-test", type=int, default=n_test,
                   help=f"held-out rows (default {n_test:,}; --full: all {MNIST_SIZES[1]:,})")


def load_mnist(args: argparse.Namespace) -> Split:
    """MNIST subsampled to ``--n-train``/``--n-test`` rows, or all of it with ``--full``."""
    n_train, n_test = (None, None) if args.full else (args.n_train, args.n_test)
    return load_split("mnist", args.data_dir, n_train=n_train, n_test=n_test, seed=args.seed)
