"""Writing results whole or not at all.

Every output is written to a hidden temporary sibling of OUT (same folder, so
the same file system) and renamed onto OUT only once complete. On an error or
Ctrl-C the temporary is removed and an OUT that existed before is untouched:
a reader never sees half a table, and a failed rerun never costs the last
good result.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CLIError
from .progress import bar

#: Rows per Parquet row group (and per step of the writing bar).
ROW_GROUP = 65_536


def _is_parts_folder(path: Path) -> bool:
    """An empty folder, or one holding only Parquet parts (a previous output)."""
    from pumap_core.data.shards import shard_files

    if not any(path.iterdir()):
        return True
    found = shard_files(path)
    return found is not None and found[0] == "parquet"


def check_out(out: str | os.PathLike, folder: bool = False) -> Path:
    """Fail before any work when OUT cannot be written as asked."""
    out = Path(out).expanduser()
    if folder and out.exists() and not (out.is_dir() and _is_parts_folder(out)):
        raise CLIError(f"--out {out} exists and is not a folder of Parquet parts; "
                       "remove it or choose another path")
    if not folder and out.is_dir():
        raise CLIError(f"--out {out} is a folder; give a file name")
    return out


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _replace_folder(tmp: Path, out: Path) -> None:
    """Swap a finished folder in; an old OUT folder is moved aside until the swap is done."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
    os.replace(out, old / "out")
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old / "out", out)
        raise
    finally:
        _remove(old)


def _default_mode(path: Path) -> None:
    """mkstemp/mkdtemp make private (0600/0700) paths; give OUT the usual umask mode."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


@contextmanager
def atomic_output(out: str | os.PathLike, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write OUT's content to; move it onto OUT on success."""
    out = check_out(out, folder)
    out.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = f".{out.name}.", ".partial"
    if folder:
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=prefix, suffix=suffix))
    else:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=prefix, suffix=suffix)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        _default_mode(tmp)
        if folder:
            _replace_folder(tmp, out)
        else:
            os.replace(tmp, out)
    finally:
        _remove(tmp)  # nothing left after a successful rename


def write_parquet(frame: pd.DataFrame, path: Path, progress: bool = True) -> None:
    """``frame`` as one Parquet file, written a row group at a time under a bar."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    with bar(len(frame), "writing", "row", progress) as pbar, \
            pq.ParquetWriter(path, table.schema) as writer:
        for start in range(0, max(len(frame), 1), ROW_GROUP):
            chunk = table.slice(start, ROW_GROUP)
            writer.write_table(chunk)
            pbar.update(len(chunk))


def write_npy(array: np.ndarray, path: Path) -> None:
    """``array`` as .npy (through a file handle: ``np.save`` would append ``.npy``)."""
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)
