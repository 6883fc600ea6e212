"""The command line's grammar: subcommands, their options and value checks.

Values are checked here, while parsing, so a typo fails in a moment with one
line naming the option, not after minutes of loading data.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from .errors import BAD_INPUT

METRICS = ("euclidean", "sqeuclidean", "cosine", "correlation", "manhattan", "l1", "l2",
           "cityblock", "chebyshev", "minkowski", "canberra", "braycurtis", "hamming", "jaccard")
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")

EPILOG = """examples:
  python -m pumap_core fit digits --out digits.pumap --n-epochs 20
  python -m pumap_core transform digits.pumap digits --out embedding.parquet
  python -m pumap_core transform digits.pumap shards/ --out embedding/ --workers 4
  python -m pumap_core inverse digits.pumap embedding.parquet --out decoded.npy
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(BAD_INPUT)


def _number(kind, low, name, inclusive=True):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
        if value < low or (not inclusive and value == low):
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}")
        return value
    return parse


positive_int = _number(int, 1, "an integer >= 1")
count = _number(int, 0, "an integer >= 0")
positive_float = _number(float, 0.0, "a number > 0", inclusive=False)
non_negative = _number(float, 0.0, "a number >= 0")


def device(text: str) -> str:
    if not _DEVICE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda, cuda:N or mps, got {text!r}")
    return text


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def _data_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--limit", type=positive_int, metavar="N", help="use the first N rows only")
    g.add_argument("--label-column", default="auto", metavar="NAME",
                   help="tables: the label column ('auto': label, labels, y, class or target; "
                        "'none': no labels)")
    g.add_argument("--feature-columns", metavar="A,B,...",
                   help="tables: the columns to embed (default: every numeric non-label column)")
    g.add_argument("--split", choices=("train", "test", "all"), help="MNIST-style data: the split")
    g.add_argument("--data-dir", metavar="DIR", help="root folder of named data sets (mnist, ...)")


def _fit_parser(sub) -> None:
    p = sub.add_parser("fit", help="train a model on DATA and save it",
                       description="Train a ParametricUMAP on DATA and save it to MODEL.")
    p.add_argument("data", metavar="DATA",
                   help="a built-in name (digits, mnist, ...), a file, or a folder of shards")
    p.add_argument("--out", required=True, metavar="MODEL", help="the model file to write")
    _common_options(p)
    _data_options(p)
    g = p.add_argument_group("estimator")
    g.add_argument("--n-components", type=positive_int, default=2)
    g.add_argument("--n-neighbors", type=_number(int, 2, "an integer >= 2"), default=15)
    g.add_argument("--min-dist", type=non_negative, default=0.1)
    g.add_argument("--spread", type=positive_float, default=1.0)
    g.add_argument("--metric", choices=METRICS, default="euclidean")
    g.add_argument("--n-epochs", type=positive_int,
                   help="epochs over the graph (default: until the map converges)")
    g.add_argument("--batch-size", type=positive_int, default=256, help="edges per training step")
    g.add_argument("--learning-rate", type=positive_float, default=1e-2)
    g.add_argument("--init", choices=("spectral", "pca", "none"), default="spectral")
    g.add_argument("--encoder", choices=("auto", "mlp", "conv"), default="auto")
    g.add_argument("--global-correlation-weight", type=non_negative, default=0.0)
    g.add_argument("--reconstruction", action="store_true",
                   help="train a decoder too (needed by `inverse`)")
    g.add_argument("--code-components", type=positive_int,
                   help="a two-code model: codes of this width, mapped to --n-components")
    g.add_argument("--map-epochs", type=count, default=0,
                   help="two-code models: epochs training the map head alone after fit")
    g.add_argument("--supervised", action="store_true",
                   help="train a classifier head on the data's labels")
    g.add_argument("--random-state", type=int, metavar="SEED")
    g.add_argument("--device", type=device, default="auto", help="auto, cpu, cuda, cuda:N or mps")
    g.add_argument("--include-graph", action="store_true",
                   help="save the neighbour graph in the model file")
    g.add_argument("--nproc", type=positive_int, default=1, metavar="N",
                   help="train data-parallel in N local processes (torch.distributed: gloo on "
                        "CPU, nccl with one GPU each); the graph is built once, before")


def _transform_parser(sub) -> None:
    p = sub.add_parser("transform", help="embed DATA with a saved model, write Parquet",
                       description="Embed DATA with MODEL. Writes a Parquet table: row (the "
                       "row's position in DATA), umap_0, umap_1, ... (the map coordinates), "
                       "label and label_name when DATA has labels, then DATA's attributes.")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--out", required=True, metavar="OUT",
                   help="the Parquet file to write (a folder of parts with --workers/--scheduler)")
    p.add_argument("--chunk-size", "--batch-size", dest="chunk_size", type=positive_int,
                   default=4096, metavar="ROWS", help="rows per encoder pass (memory only)")
    p.add_argument("--device", type=device, default="auto")
    _common_options(p)
    _data_options(p)
    g = p.add_argument_group("dask (Parquet DATA only; needs pip install -e \".[scale]\")")
    how = g.add_mutually_exclusive_group()
    how.add_argument("--workers", type=positive_int, metavar="N",
                     help="encode Parquet partitions on a local Dask cluster of N processes")
    how.add_argument("--scheduler", metavar="ADDRESS",
                     help="encode on this Dask cluster (e.g. tcp://host:8786); its workers must "
                          "see MODEL, DATA and OUT at the same paths")


def _inverse_parser(sub) -> None:
    p = sub.add_parser("inverse", help="decode map points (or codes) back to data",
                       description="Decode CODES with MODEL's decoder. CODES: a Parquet or CSV "
                       "table (umap_* columns as `transform` writes them, else every numeric "
                       "column), a .npy matrix, or a folder of Parquet parts. Writes Parquet "
                       "(row, x0, x1, ...) or, when OUT ends with .npy, an array (images keep "
                       "their shape).")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("codes", metavar="CODES")
    p.add_argument("--out", required=True, metavar="OUT")
    p.add_argument("--chunk-size", "--batch-size", dest="chunk_size", type=positive_int,
                   default=4096, metavar="ROWS", help="rows per decoder pass (memory only)")
    p.add_argument("--device", type=device, default="auto")
    _common_options(p)


def build_parser() -> argparse.ArgumentParser:
    """The parser for ``python -m pumap_core``."""
    parser = Parser(prog="python -m pumap_core", epilog=EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    description="Fit Parametric UMAP models, embed data with them, decode codes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _fit_parser(sub)
    _transform_parser(sub)
    _inverse_parser(sub)
    return parser
