"""MNIST-style IDX files (plain or gzip-compressed), as their publishers ship them.

Format: a 4-byte big-endian magic ``0x0000TTNN`` (TT = element type, NN =
number of dimensions), NN big-endian uint32 sizes, then the raw elements.
MNIST and Fashion-MNIST use 0x00000803 for images and 0x00000801 for labels.
"""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import DataError, Dataset, images_to_X

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_TEST = re.compile(r"(^|[-_.])(t10k|test)([-_.]|$)", re.I)
_LABELS = re.compile(r"labels|idx1", re.I)
FASHION_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
_READ_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


def _open(path: Path):
    """Open ``path`` for binary reading, decompressing gzip transparently."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _read_exact(f, n: int, path: Path, what: str) -> np.ndarray:
    """Exactly ``n`` bytes from ``f`` into a new writable uint8 array."""
    buf = np.empty(n, dtype=np.uint8)
    view, got = memoryview(buf), 0
    try:
        while got < n:
            k = f.readinto(view[got:])
            if not k:
                break
            got += k
    except EOFError as e:
        raise DataError(f"{path}: truncated gzip stream while reading {what} ({e})") from e
    except (gzip.BadGzipFile, zlib.error, OSError) as e:
        raise DataError(f"{path}: corrupt gzip data while reading {what} ({e})") from e
    if got < n:
        raise DataError(f"{path}: truncated data: {what} needs {n} bytes, found {got}")
    return buf


def _header(f, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")
    magic = _read_exact(f, 4, path, "the IDX magic number").tobytes()
    zero, code, ndim = struct.unpack(">HBB", magic)
    if zero != 0 or code not in _DTYPES or not 1 <= ndim <= 4:
        raise DataError(
            f"{path}: wrong IDX magic number 0x{magic.hex()} (expected 0x00000803 for "
            "images or 0x00000801 for labels); not an IDX file, or corrupt"
        )
    dims = struct.unpack(f">{ndim}I", _read_exact(f, 4 * ndim, path, "the IDX dimensions").tobytes())
    return np.dtype(_DTYPES[code]), tuple(int(d) for d in dims)


def idx_shape(path: str | Path) -> tuple[np.dtype, tuple[int, ...]]:
    """Element type and shape from an IDX header, reading nothing else."""
    path = Path(path)
    try:
        with _open(path) as f:
            return _header(f, path)
    except _READ_ERRORS as e:
        raise DataError(f"{path}: cannot read IDX header ({e})") from e


def read_idx(path: str | Path, limit: int | None = None) -> np.ndarray:
    """Read an IDX file into an array; only the first ``limit`` items if given."""
    path = Path(path)
    try:
        with _open(path) as f:
            dtype, dims = _header(f, path)
            n = dims[0] if limit is None else min(dims[0], limit)
            item = int(np.prod(dims[1:], dtype=np.int64)) * dtype.itemsize
            data = _read_exact(f, n * item, path, f"{n} items of shape {dims[1:]}")
            if limit is None or limit >= dims[0]:
                try:
                    extra = f.read(1)
                except EOFError as e:
                    raise DataError(f"{path}: truncated gzip stream at the end ({e})") from e
                if extra:
                    raise DataError(f"{path}: trailing bytes after {dims[0]} items; corrupt file")
    except DataError:
        raise
    except _READ_ERRORS as e:
        raise DataError(f"{path}: cannot read IDX file ({e})") from e
    arr = data.view(dtype).reshape((n, *dims[1:]))
    return arr.astype(dtype.newbyteorder("="), copy=False) if dtype.itemsize > 1 else arr


def looks_like_idx_name(name: str) -> bool:
    """True for MNIST-style names (``*-ubyte``, ``*-ubyte.gz``, ``*.idx3``...)."""
    low = name.lower()
    return "ubyte" in low or re.search(r"idx[1-4]", low) is not None


def _classify(path: Path) -> tuple[str, str]:
    """(split, kind) from a file name: split train/test, kind images/labels."""
    split = "test" if _TEST.search(path.name) else "train"
    return split, ("labels" if _LABELS.search(path.name) else "images")


def find_idx_files(folder: str | Path) -> dict[tuple[str, str], Path]:
    """IDX files in ``folder`` keyed by (split, kind); gz preferred over raw."""
    found: dict[tuple[str, str], Path] = {}
    for p in sorted(Path(folder).iterdir(), key=lambda p: (not p.name.endswith(".gz"), p.name)):
        if p.is_file() and looks_like_idx_name(p.name) and not p.name.endswith(".part"):
            found.setdefault(_classify(p), p)
    return found


def labels_partner(images: Path) -> Path | None:
    """The labels file that belongs to an images file, if it exists."""
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    base = name[:-3] if name.endswith(".gz") else name
    for cand in (name, base + ".gz", base):
        p = images.with_name(cand)
        if cand != images.name and p.is_file():
            return p
    return None


def _label_names(codes: np.ndarray, fashion: bool) -> list[str]:
    k = max(int(codes.max()) + 1 if codes.size else 0, 10)
    return FASHION_NAMES[:] if fashion and k == 10 else [str(i) for i in range(k)]


def _load_pair(images_path: Path, labels_path: Path | None, limit: int | None):
    _, img_dims = idx_shape(images_path)
    if len(img_dims) not in (3, 4):
        raise DataError(f"{images_path}: expected an images IDX file (3-D), got shape {img_dims}")
    if labels_path is not None:
        _, lab_dims = idx_shape(labels_path)
        if len(lab_dims) != 1:
            raise DataError(f"{labels_path}: expected a labels IDX file (1-D), got {lab_dims}")
        if lab_dims[0] != img_dims[0]:
            raise DataError(
                f"image and label counts disagree: {img_dims[0]} images in {images_path.name} "
                f"but {lab_dims[0]} labels in {labels_path.name}"
            )
    images = read_idx(images_path, limit)
    if images.dtype != np.uint8:
        raise DataError(f"{images_path}: images must be unsigned bytes, got {images.dtype}")
    labels = None if labels_path is None else read_idx(labels_path, limit).astype(np.int64)
    return images, labels


def load_idx(
    path: str | Path,
    split: str | None = None,
    limit: int | None = None,
    name: str | None = None,
) -> Dataset:
    """Load MNIST-style IDX data from a folder of the four files or one images file.

    ``split``: "train", "test" or "all" (train then test, with a ``split``
    attribute column). Default: the train files when the folder has them,
    else whichever split it holds. A single images file is its own split.
    """
    path = Path(path)
    if path.is_dir():
        files = find_idx_files(path)
        have = sorted({s for s, k in files if k == "images"})
        if not have:
            raise DataError(f"{path}: no IDX images file (e.g. train-images-idx3-ubyte.gz)")
        split = split or ("train" if "train" in have else have[0])
        if split not in ("train", "test", "all"):
            raise DataError(f"split must be 'train', 'test' or 'all', got {split!r}")
        wanted = ["train", "test"] if split == "all" else [split]
        missing = [s for s in wanted if s not in have]
        if missing:
            raise DataError(f"{path}: no {missing[0]} images file (found splits: {have})")
        pairs = [(s, files[(s, "images")], files.get((s, "labels"))) for s in wanted]
    else:
        if not path.exists():
            raise DataError(f"{path}: no such file or folder")
        if _classify(path)[1] == "labels" and "images" not in path.name:
            raise DataError(f"{path}: this is a labels file; pass the images file or its folder")
        pairs = [(_classify(path)[0], path, labels_partner(path))]

    parts, remaining = [], limit
    for s, img, lab in pairs:
        if remaining is not None and remaining <= 0:
            break
        images, labels = _load_pair(img, lab, remaining)
        parts.append((s, images, labels))
        remaining = None if remaining is None else remaining - len(images)

    images = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
    have_labels = all(p[2] is not None for p in parts)
    labels = np.concatenate([p[2] for p in parts]) if have_labels else None
    attrs = None
    if split == "all":
        col = np.concatenate([[p[0]] * len(p[1]) for p in parts])
        attrs = pd.DataFrame({"split": pd.Categorical(col, categories=["train", "test"])})
    fashion = "fashion" in str(path).lower() or "fashion" in (name or "")
    return Dataset(
        X=images_to_X(images),
        images=images,
        labels=labels,
        label_names=None if labels is None else _label_names(labels, fashion),
        attributes=attrs,
        name=name or (path.name if path.is_dir() else f"{path.parent.name}-{pairs[0][0]}"),
        source=str(path),
       scale=1.0 / 255.0,
    )
