"""Command line: ``python -m pumap_core {fit,transform,inverse}``.

    python -m pumap_core fit DATA --out MODEL [--n-epochs N --reconstruction ...]
    python -m pumap_core transform MODEL DATA --out OUT.parquet [--workers N | --scheduler ADDR]
    python -m pumap_core inverse MODEL CODES --out OUT.parquet|OUT.npy

Bad input (a missing or corrupt file, NaN data, a width the model was not
fitted on, an unknown option value) is one line on stderr and exit code 2;
Ctrl-C is exit code 130. Neither leaves a partial OUT behind.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .errors import BAD_INPUT, INPUT_ERRORS, INTERRUPTED, one_line

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (0, 2 for bad input, 130 on Ctrl-C)."""
    from . import commands
    from .args import build_parser

    args = build_parser().parse_args(argv)
    run = {"fit": commands.fit, "transform": commands.transform, "inverse": commands.inverse}
    try:
        return run[args.command](args)
    except KeyboardInterrupt:
        print(f"pumap_core {args.command}: interrupted; {args.out} was not written",
              file=sys.stderr)
        return INTERRUPTED
    except INPUT_ERRORS as e:
        print(f"pumap_core {args.command}: error: {one_line(e)}", file=sys.stderr)
        return BAD_INPUT
