"""Where data sets live and what format a path holds.

Built-in names resolve through, in order: the ``data_dir`` argument, the
``PUMAP_DATA_DIR`` environment variable, and the download cache
(``$XDG_CACHE_HOME/pumap_core``, else ``~/.cache/pumap_core``), each laid out as
``<root>/mnist/``, ``<root>/fashion-mnist/``, ``<root>/celeba/``. Fashion-MNIST
is also found where Debian's ``dataset-fashion-mnist`` package puts it.
Paths are recognised by their bytes, not their names, wherever the format
has a signature.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from .celeba import ATTR_FILE, is_celeba_dir
from .dataset import DataError
from .idx import find_idx_files, looks_like_idx_name
from .imagefolder import list_images

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
IDX_NAMES = ("mnist", "fashion-mnist")
NAMES = ("digits", *IDX_NAMES, "celeba")
_SIGNATURES = {
    b"\x93NUMPY": "npy",
    b"PK\x03\x04": "npz",
    b"PK\x05\x06": "npz",
    b"PAR1": "parquet",
    b"\x89HDF\r\n\x1a\n": "h5ad",
}
_IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF")
_TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".csv.gz", ".tsv.gz")


def cache_dir() -> Path:
    """The default download folder root."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pumap_core"


def data_roots(data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for named data sets, most specific first."""
    roots = [data_dir, os.environ.get("PUMAP_DATA_DIR"), cache_dir()]
    return [Path(r).expanduser() for r in roots if r]


def split_name(source: str) -> tuple[str, str | None]:
    """'mnist-test' -> ('mnist', 'test'); 'celeba' -> ('celeba', None)."""
    for suffix in ("train", "test", "all"):
        base = source[: -len(suffix) - 1]
        if source.endswith("-" + suffix) and base in IDX_NAMES:
            return base, suffix
    return source, None


def find_named(base: str, split: str | None, data_dir=None) -> Path | None:
    """The folder holding named data set ``base`` (with ``split``'s files), or None."""
    candidates = [r / base for r in data_roots(data_dir)]
    if base == "fashion-mnist":
        candidates.append(DEBIAN_FASHION)
    for folder in candidates:
        if base == "celeba":
            if folder.is_dir() and is_celeba_dir(folder):
                return folder
        elif folder.is_dir():
            have = {s for s, k in find_idx_files(folder) if k == "images"}
            need = {"train", "test"} if split == "all" else {split or "train"}
            if need <= have:
                return folder
    return None


def available_datasets(data_dir: str | Path | None = None) -> dict[str, str]:
    """Data sets that can be loaded here: name -> a source ``load`` accepts.

    Always has "digits". Adds "mnist", "mnist-test", "fashion-mnist",
    "fashion-mnist-test" and "celeba" when their files are found (see the
    module docstring for where). ``load(name)`` and ``load(value)`` agree.
    """
    found = {"digits": "digits"}
    for base in IDX_NAMES:
        for split, key in (("train", base), ("test", f"{base}-test")):
            folder = find_named(base, split, data_dir)
            if folder is not None:
                found[key] = str(
                    folder if split == "train" else find_idx_files(folder)[(split, "images")]
                )
    celeba = find_named("celeba", None, data_dir)
    if celeba is not None:
        found["celeba"] = str(celeba)
    return found


def _peek_gzip(path: Path, n: int) -> bytes:
    try:
        with gzip.open(path, "rb") as f:
            return f.read(n)
    except EOFError as e:
        raise DataError(f"{path}: truncated gzip file ({e})") from e
    except (gzip.BadGzipFile, zlib.error, OSError) as e:
        raise DataError(f"{path}: corrupt gzip file ({e})") from e


def _is_idx_magic(head: bytes) -> bool:
    return len(head) >= 4 and head[:2] == b"\0\0" and head[2] in (8, 9, 11, 12, 13, 14)


def _is_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start > len(head) - 4  # a multi-byte character cut at the end
    return True


def detect_format(path: str | Path) -> str:
    """One of idx, celeba, image-folder, npy, npz, parquet, h5ad, csv; else DataError."""
    path = Path(path)
    if not path.exists():
        hint = f" (built-in names: {', '.join(NAMES)})" if os.sep not in str(path) else ""
        raise DataError(f"{path}: no such file or folder{hint}")
    if path.is_dir():
        if not any(path.iterdir()):
            raise DataError(f"{path}: empty folder")
        if is_celeba_dir(path) or path.name == "img_align_celeba":
            return "celeba"
        if any(looks_like_idx_name(p.name) for p in path.iterdir() if p.is_file()):
            return "idx"
        if list_images(path)[0]:
            return "image-folder"
        subsets = sorted(p.name for p in path.iterdir() if p.name in NAMES)
        hint = (f"; it looks like a data root: use load({subsets[0]!r}, data_dir={str(path)!r})"
                if subsets else "")
        raise DataError(
            f"{path}: no supported data in this folder (expected IDX files, CelebA's layout, "
            f"or image files){hint}"
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")
    with open(path, "rb") as f:
        head = f.read(4096)
    for sig, fmt in _SIGNATURES.items():
        if head.startswith(sig):
            return fmt
    name = path.name.lower()
    if head.startswith(b"\x1f\x8b"):
        inner = _peek_gzip(path, 4096)
        if _is_idx_magic(inner) or looks_like_idx_name(name):
            return "idx"
        if name.endswith(_TEXT_SUFFIXES) and _is_text(inner):
            return "csv"
    elif _is_idx_magic(head) or looks_like_idx_name(name):
        return "idx"
    elif path.name == ATTR_FILE:
        return "celeba"
    elif head.startswith(_IMAGE_SIGNATURES):
        raise DataError(f"{path}: a single image is not a data set; pass the folder it is in")
    elif _is_text(head):
        return "csv"
    raise DataError(
        f"{path}: unknown format (the content is not IDX, .npy, .npz, CSV, Parquet, .h5ad, "
        "CelebA or an image folder)"
    )
