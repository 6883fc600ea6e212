"""A folder of image files, with an optional attributes CSV beside them.

Two layouts: images directly in the folder (labels come from the CSV, if
any), or one sub-folder per class (``cats/1.png``, ``dogs/2.png``, as in
torchvision's ImageFolder; the sub-folder names become the labels). The CSV's
``filename`` column, or else its first column, is matched against file names
(the name, or the path relative to the folder).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .dataset import DataError, Dataset, images_to_X
from .images import is_image_name, probe, read_images, target_size
from .tables import encode_labels, find_label_column


def list_images(folder: Path) -> tuple[list[Path], list[str] | None]:
    """Image files (sorted) and, for the class-folder layout, their class names."""
    top = sorted(p for p in folder.iterdir() if p.is_file() and is_image_name(p.name))
    if top:
        return top, None
    files, classes = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        inner = sorted(p for p in sub.iterdir() if p.is_file() and is_image_name(p.name))
        files += inner
        classes += [sub.name] * len(inner)
    return files, (classes or None)


def _attribute_csv(folder: Path, attributes: str | Path | None) -> Path | None:
    if attributes is not None:
        p = Path(attributes)
        p = p if p.is_absolute() or p.exists() else folder / p
        if not p.is_file():
            raise DataError(f"{p}: attributes file is missing")
        return p
    csvs = sorted(folder.glob("*.csv"))
    if len(csvs) > 1:
        raise DataError(
            f"{folder}: several CSV files ({', '.join(c.name for c in csvs)}); "
            "choose one with attributes=..."
        )
    return csvs[0] if csvs else None


def _match_attributes(csv: Path, folder: Path, files: list[Path]) -> pd.DataFrame:
    if csv.stat().st_size == 0:
        raise DataError(f"{csv}: empty file")
    table = pd.read_csv(csv)
    key = "filename" if "filename" in table.columns else table.columns[0]
    names = table[key].astype(str)
    if names.duplicated().any():
        raise DataError(f"{csv}: file {names[names.duplicated()].iloc[0]} is listed twice")
    table = table.drop(columns=[key]).set_axis(pd.Index(names, name="filename"), axis=0)
    rel = [f.relative_to(folder).as_posix() for f in files]
    use = rel if pd.Index(rel).isin(table.index).all() else [f.name for f in files]
    missing = pd.Index(use).difference(table.index)
    if len(missing):
        raise DataError(
            f"{csv}: attribute rows missing for {len(missing)} images in {folder} "
            f"(e.g. {missing[0]})"
        )
    return table.loc[use]


def load_image_folder(
    path: str | Path,
    limit: int | None = None,
    image_size: int | Sequence[int] | None = None,
    label_column: str | None = "auto",
    attributes: str | Path | None = None,
    grayscale: bool | None = None,
    name: str | None = None,
) -> Dataset:
    """Load every image in ``path`` (sorted by name; the first ``limit`` if given).

    ``image_size`` None keeps the first image's size (others are resized and
    centre-cropped to it). ``grayscale`` None decides from the first image.
    ``label_column``: a column of the attributes CSV, "auto" (label, labels,
    y, class, target), or None for no labels.
    """
    folder = Path(path)
    files, classes = list_images(folder)
    if not files:
        raise DataError(f"{folder}: empty folder (no image files)")
    if limit is not None:
        files, classes = files[:limit], (None if classes is None else classes[:limit])
    csv = _attribute_csv(folder, attributes)
    table = _match_attributes(csv, folder, files) if csv is not None else None
    labels = label_names = None
    if classes is not None and label_column is not None:
        labels, label_names = encode_labels(pd.Series(classes), "class folder")
    elif table is not None:
        col = find_label_column(table, label_column, csv)
        if col is not None:
            labels, label_names = encode_labels(table[col], f"{csv} column {col!r}")
            table = table.drop(columns=[col])
    size = target_size(image_size)
    shape, mode = probe(files[0])
    if grayscale is None:
        grayscale = mode in ("1", "L", "LA", "I", "I;16", "F")
    images = read_images(files, size or shape, "L" if grayscale else "RGB")
    return Dataset(
        X=images_to_X(images),
        images=images,
        labels=labels,
        label_names=label_names,
        attributes=table if table is not None else pd.DataFrame(index=pd.RangeIndex(len(files))),
        name=name or folder.name,
        source=str(folder),
       scale=1.0 / 255.0,
    )

