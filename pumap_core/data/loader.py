"""``load(source, **options)``: one entry point for every supported source."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .celeba import load_celeba
from .dataset import DataError, Dataset
from .idx import load_idx
from .imagefolder import load_image_folder
from .shards import load_shards, shard_files
from .sources import NAMES, detect_format, find_named, split_name
from .tables import load_h5ad, load_npy, load_npz, read_table, table_to_dataset

_DEFAULT = object()


def load_digits(limit: int | None = None) -> Dataset:
    """scikit-learn's bundled 8×8 digits (1,797 images, offline).

    ``X`` is the original 0..16 intensities divided by 16; ``images`` the
    same rescaled to 0..255 for display.
    """
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    data, target = d.data[:limit], d.target[:limit]
    images = np.round(data.reshape(-1, 8, 8) * (255.0 / 16.0)).astype(np.uint8)
    return Dataset(
        X=(data / 16.0).astype(np.float32),
        images=images,
        labels=target,
        label_names=[str(i) for i in range(10)],
        name="digits",
        source="sklearn.datasets.load_digits",
        scale=1.0 / 16.0,
    )


def _check_limit(limit) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise DataError(f"limit must be a positive integer or None, got {limit!r}")
    return int(limit)


def _load_named(source: str, split, limit, image_size, label_column, data_dir) -> Dataset:
    base, name_split = split_name(source)
    if base == "digits":
        return load_digits(limit)
    split = split or name_split
    folder = find_named(base, split, data_dir)
    if folder is None:
        if base == "celeba":
            how = "download it yourself (see `python -m pumap_core.data download celeba`)"
        else:
            how = f"run `python -m pumap_core.data download {base}`"
        raise DataError(
            f"{source}: data set not found (looked for a {base}/ folder under data_dir, "
            f"PUMAP_DATA_DIR and the download cache); {how}"
        )
    if base == "celeba":
        label = None if label_column == "auto" else label_column
        size = 64 if image_size is _DEFAULT else image_size
        return load_celeba(folder, limit=limit, image_size=size, label_column=label, name=base)
    return load_idx(folder, split=split or "train", limit=limit, name=source)


def load(
    source: str | Path,
    *,
    split: str | None = None,
    limit: int | None = None,
    image_size: int | Sequence[int] | None = _DEFAULT,  # type: ignore[assignment]
    label_column: str | None = "auto",
    data_dir: str | Path | None = None,
    feature_columns: Sequence[str] | None = None,
    attributes: str | Path | None = None,
    grayscale: bool | None = None,
    name: str | None = None,
) -> Dataset:
    """Load a data set by built-in name or from a file or folder.

    Parameters
    ----------
    source : "digits", "mnist", "mnist-test", "fashion-mnist",
        "fashion-mnist-test", "celeba", or a path. A path's format is found
        from its content: IDX (MNIST layout, a folder or one images file),
        CelebA's layout, a folder of images, .npy, .npz, .csv, .parquet, .h5ad,
        or a folder of .npy or Parquet shards (read in natural name order).
    split : IDX only. "train", "test" or "all" (train then test, with a
        ``split`` attribute column). Default: "train" when present (names
        ending in "-test" mean "test"); a single images file is its own split.
    limit : keep the first ``limit`` rows (file order; CelebA and image
        folders sort by file name). Only those rows are decoded.
    image_size : CelebA and image folders: int or (h, w); images are resized
        and centre-cropped. Default 64 for CelebA, the first image's size for
        image folders; None keeps the native size.
    label_column : "auto" (a column named label, labels, y, class or target),
        a column name, or None for no labels. For CelebA an attribute name
        (default: no labels).
    data_dir : root folder holding mnist/, fashion-mnist/, celeba/ for names.
    feature_columns : tables and Parquet shards only, the columns to embed (default: every
        numeric non-label column; the rest become ``attributes``).
    attributes : image folders only, the CSV of per-image attributes
        (default: the folder's only .csv file, if any).
    grayscale : image folders only; None decides from the first image.
    """
    limit = _check_limit(limit)
    if split is not None and split not in ("train", "test", "all"):
        raise DataError(f"split must be 'train', 'test' or 'all', got {split!r}")
    if isinstance(source, str) and split_name(source)[0] in NAMES and not Path(source).exists():
        return _load_named(source, split, limit, image_size, label_column, data_dir)
    path = Path(source).expanduser()
    if shard_files(path) is not None:
        return load_shards(path, limit=limit, label_column=label_column,
                           feature_columns=feature_columns, name=name)
    fmt = detect_format(path)
    if fmt == "idx":
        return load_idx(path, split=split, limit=limit, name=name)
    if fmt == "celeba":
        size = 64 if image_size is _DEFAULT else image_size
        label = None if label_column == "auto" else label_column
        return load_celeba(path, limit=limit, image_size=size, label_column=label, name=name)
    if fmt == "image-folder":
        size = None if image_size is _DEFAULT else image_size
        return load_image_folder(path, limit=limit, image_size=size, label_column=label_column,
                                 attributes=attributes, grayscale=grayscale, name=name)
    if fmt == "npy":
        return load_npy(path, limit=limit, name=name)
    if fmt == "npz":
        return load_npz(path, limit=limit, name=name)
    if fmt == "h5ad":
        return load_h5ad(path, limit=limit, label_column=label_column, name=name)
    table = read_table(path, fmt)
    return table_to_dataset(table, path, label_column=label_column,
                            feature_columns=feature_columns, limit=limit, name=name)

