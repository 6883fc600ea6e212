"""Command line: ``python -m pumap_core.data {download,list}``.

    python -m pumap_core.data download mnist [--dir DIR] [--base-url URL]
    python -m pumap_core.data download celeba     # prints how to get it
    python -m pumap_core.data list [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import download as dl
from .celeba import is_celeba_dir
from .sources import available_datasets, data_roots, find_named


def _download(args: argparse.Namespace) -> int:
    root = data_roots(None)[0]
    if args.name == "celeba":
        if args.dir:
            root = Path(args.dir).expanduser().parent
            found = Path(args.dir) if is_celeba_dir(Path(args.dir)) else None
        else:
            found = find_named("celeba", None)
        print(dl.CELEBA_HELP.format(root=root))
        if found is not None:
            print(f"CelebA is already present at {found}.")
            return 0
        return 1
    directory = Path(args.dir) if args.dir else root / args.name
    try:
        files = dl.download(args.name, directory, base_url=args.base_url,
                            timeout=args.timeout, log=print)
    except dl.DownloadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{args.name}: {len(files)} files ready in {directory}")
    if not os.environ.get("PUMAP_DATA_DIR") and directory.name == args.name:
        print(f'load it with pumap_core.data.load("{args.name}", data_dir="{directory.parent}")')
    return 0


def _list(args: argparse.Namespace) -> int:
    for name, source in available_datasets(args.data_dir).items():
        print(f"{name:20s} {source}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pumap_core.data",
                                     description="Fetch and list pumap_core data sets.")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="fetch MNIST or Fashion-MNIST (CelebA: instructions)")
    d.add_argument("name", choices=["mnist", "fashion-mnist", "celeba"])
    d.add_argument("--dir", help="folder for the files (default: $PUMAP_DATA_DIR/NAME, "
                                 "else ~/.cache/pumap_core/NAME)")
    d.add_argument("--base-url", help="fetch from this address instead of the official mirrors")
    d.add_argument("--timeout", type=float, default=30.0, help="seconds per connection")
    d.set_defaults(func=_download)
    ls = sub.add_parser("list", help="list the data sets found on this machine")
    ls.add_argument("--data-dir", help="root folder holding mnist/, fashion-mnist/, celeba/")
    ls.set_defaults(func=_list)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
