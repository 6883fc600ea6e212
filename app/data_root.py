"""Which files a page may open: everything on a local server, one folder on a shared one.

The "file or folder" boxes open paths on the *server's* disk. Served to
others (``panel serve app --address 0.0.0.0``), that would let any visitor
read any CSV, Parquet, ``.npy`` or image folder the server process can read.
A *data root* limits them to one folder: ``panel serve app --args --data-root
DIR`` or ``PUMAP_DATA_ROOT=DIR``; a server listening beyond this machine
without either gets the data folder (``PUMAP_DATA_DIR``) as its root. Paths
are resolved with links and ``..`` followed before they are compared with the
root, so neither a link nor ``../..`` leads out of it. The built-in data sets
(digits, MNIST, ...) are always offered.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class OutsideRoot(ValueError):
    """A path that resolves outside the data root (the message says which root)."""


def served_beyond_this_machine(argv: list[str] | None = None, environ=None) -> bool:
    """True when ``panel serve`` listens on a non-loopback address or accepts pages from
    other hosts (``--address 0.0.0.0``, ``--allow-websocket-origin example.org``, or
    Bokeh's ``BOKEH_ALLOW_WS_ORIGIN``)."""
    argv = list(sys.orig_argv if argv is None else argv)
    environ = os.environ if environ is None else environ
    values = [origin for origin in environ.get("BOKEH_ALLOW_WS_ORIGIN", "").split(",") if origin]
    for flag in ("--address", "--allow-websocket-origin"):
        for i, arg in enumerate(argv):
            if arg == flag and i + 1 < len(argv):
                values.append(argv[i + 1])
            elif arg.startswith(flag + "="):
                values.append(arg.split("=", 1)[1])
    return any(not _is_loopback(value.strip()) for value in values)


def _is_loopback(host_port: str) -> bool:
    return host_port.startswith("[::1]") or host_port.split(":")[0] in LOOPBACK


def _root_argument(argv: list[str]) -> str | None:
    """``--data-root DIR`` among the app's own arguments (``panel serve app --args ...``)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data-root", default=None)
    known, _ = parser.parse_known_args(argv)
    return known.data_root


@dataclass(frozen=True)
class DataRoot:
    """The folder paths must lie in (``None``: any path this process can read)."""

    folder: Path | None = None

    @classmethod
    def configured(cls, argv: list[str] | None = None, environ=None,
                   orig_argv: list[str] | None = None) -> DataRoot:
        """From ``--data-root``, else ``PUMAP_DATA_ROOT``, else the data folder when the
        server is reachable from other machines, else none."""
        environ = os.environ if environ is None else environ
        # the app's own arguments: in sys.argv while Bokeh runs the app script, in the
        # process's arguments (after --args) otherwise
        argv = list(sys.argv[1:] + sys.orig_argv if argv is None else argv)
        chosen = _root_argument(argv) or environ.get("PUMAP_DATA_ROOT")
        if not chosen and served_beyond_this_machine(orig_argv, environ):
            chosen = environ.get("PUMAP_DATA_DIR") or str(Path.home() / ".cache" / "pumap_core")
        return cls(Path(chosen).expanduser().resolve() if chosen else None)

    def resolve(self, text: str) -> str:
        """The path ``text`` names, resolved (links and ``..`` followed); relative paths are
        taken inside the root. Raises :class:`OutsideRoot` for a path outside it."""
        if self.folder is None:
            return text
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.folder / path
        resolved = path.resolve()
        if resolved != self.folder and self.folder not in resolved.parents:
            raise OutsideRoot(f"{text!r} is outside the data folder this server shares "
                              f"({self.folder}); open a file or folder inside it")
        return str(resolved)

    def describe(self) -> str:
        return f"files and folders under {self.folder}" if self.folder else "any path"


#: the server process's root, read once (the arguments and environment do not change)
ROOT = DataRoot.configured()
