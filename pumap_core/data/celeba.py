"""CelebA in its published layout: ``img_align_celeba/*.jpg`` + ``list_attr_celeba.txt``.

The attribute file: line 1 the number of rows, line 2 the attribute names,
then ``file v1 .. vK`` with values 1 / −1. It may list any subset of rows in
any order (rows without an image are ignored); every image in the folder
needs a row. Images may have any size: they are centre-cropped and resized
to ``image_size`` (default 64×64 RGB).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import DataError, Dataset, images_to_X
from .images import is_image_name, read_images, target_size

ATTR_FILE = "list_attr_celeba.txt"
IMAGE_DIR = "img_align_celeba"


def is_celeba_dir(path: Path) -> bool:
    return (path / ATTR_FILE).is_file() or (path / IMAGE_DIR).is_dir()


def read_attributes(path: str | Path) -> pd.DataFrame:
    """Parse ``list_attr_celeba.txt`` into 0/1 int8 columns indexed by file name."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: attribute file is missing")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")
    with open(path, encoding="utf-8", errors="replace") as f:
        first, second = f.readline().strip(), f.readline().split()
    try:
        count = int(first)
    except ValueError:
        raise DataError(
            f"{path}: line 1 should be the number of images, got {first[:40]!r}"
        ) from None
    if not second:
        raise DataError(f"{path}: line 2 should list the attribute names")
    _check_row_widths(path, len(second))
    try:
        table = pd.read_csv(
            path, sep=r"\s+", skiprows=2, header=None, names=["filename", *second],
            index_col=False, dtype={"filename": str}, engine="c",
        )
    except pd.errors.EmptyDataError:
        table = pd.DataFrame(columns=["filename", *second])
    except (pd.errors.ParserError, ValueError) as e:
        raise DataError(f"{path}: malformed attribute rows ({e})") from e
    if len(table) != count:
        raise DataError(
            f"{path}: line 1 says {count} rows but the file has {len(table)} (truncated?)"
        )
    values = table[second]
    bad = values.isna().any(axis=1) | ~values.isin([-1, 0, 1]).all(axis=1)
    if bad.any():
        row = table.loc[bad.idxmax()]
        raise DataError(
            f"{path}: row for {row['filename']} should have {len(second)} values of 1 or -1"
        )
    if table["filename"].duplicated().any():
        dup = table.loc[table["filename"].duplicated(), "filename"].iloc[0]
        raise DataError(f"{path}: file {dup} is listed twice")
    attrs = (values.to_numpy() > 0).astype(np.int8)
    index = pd.Index(table["filename"].to_numpy(), name="filename")
    return pd.DataFrame(attrs, columns=second, index=index)


def _check_row_widths(path: Path, n_names: int) -> None:
    """Every row must hold a file name and one value per attribute name (pandas
    would silently drop extra values, or fill missing ones)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if lineno <= 2:
                continue
            parts = line.split()
            if parts and len(parts) != n_names + 1:
                raise DataError(
                    f"{path}: line {lineno} ({parts[0]}) has {len(parts) - 1} values but line 2 "
                    f"names {n_names} attributes: the attribute file does not match")


def load_celeba(
    path: str | Path,
    limit: int | None = None,
    image_size: int | Sequence[int] | None = 64,
    label_column: str | None = None,
    name: str | None = None,
) -> Dataset:
    """Load CelebA from its root folder (holding ``img_align_celeba/`` and the attribute file).

    Images are taken in file-name order; ``limit`` keeps the first ``limit``.
    ``label_column`` names an attribute to use as labels (codes 0/1).
    """
    root = Path(path)
    if root.name == IMAGE_DIR or root.name == ATTR_FILE:
        root = root.parent
    image_dir, attr_file = root / IMAGE_DIR, root / ATTR_FILE
    if not image_dir.is_dir():
        raise DataError(f"{root}: no {IMAGE_DIR}/ folder of images")
    attrs = read_attributes(attr_file)
    with os.scandir(image_dir) as it:
        files = sorted(e.name for e in it if e.is_file() and is_image_name(e.name))
    if not files:
        raise DataError(f"{image_dir}: empty folder (no .jpg/.png images)")
    missing = pd.Index(files).difference(attrs.index)
    if len(missing):
        raise DataError(
            f"{attr_file}: attribute rows missing for {len(missing)} images in {image_dir} "
            f"(e.g. {missing[0]})"
        )
    if limit is not None:
        files = files[:limit]
    attrs = attrs.loc[files]
    labels = label_names = None
    if label_column is not None:
        if label_column not in attrs.columns:
            raise DataError(
                f"{attr_file}: no attribute {label_column!r}; choose from {list(attrs.columns)}"
            )
        labels = attrs[label_column].to_numpy().astype(np.int64)
        label_names = [f"not {label_column}", label_column]
    images = read_images([image_dir / f for f in files], target_size(image_size), "RGB")
    return Dataset(
        X=images_to_X(images),
        images=images,
        labels=labels,
        label_names=label_names,
        attributes=attrs,
        name=name or "celeba",
        source=str(root),
       scale=1.0 / 255.0,
    )
