"""Decode many image files into one uint8 array, quickly and without waste.

Each file is decoded at reduced scale where the codec allows (JPEG ``draft``
decodes at 1/2, 1/4 or 1/8 size for free), centre-cropped to the target's
aspect ratio and resized in one ``resize(box=...)`` call, then written into
a preallocated array. Pillow releases the GIL while decoding and resizing,
so a small thread pool scales with the cores.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .dataset import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def is_image_name(name: str) -> bool:
    """An image file by name; hidden files (e.g. macOS ``._x.jpg``) are skipped."""
    return name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith(".")


def target_size(image_size: int | Sequence[int] | None) -> tuple[int, int] | None:
    """Normalise ``image_size`` (int or (h, w)) to (h, w); None keeps the native size."""
    if image_size is None:
        return None
    if isinstance(image_size, (int, np.integer)):
        h = w = int(image_size)
    else:
        h, w = (int(v) for v in image_size)
    if h < 1 or w < 1:
        raise DataError(f"image_size must be positive, got {image_size!r}")
    return h, w


def _crop_box(w: int, h: int, tw: int, th: int) -> tuple[float, float, float, float]:
    """The centred box of the source that has the target's aspect ratio."""
    if w * th > h * tw:  # source is wider: trim the sides
        cw = h * tw / th
        return ((w - cw) / 2, 0.0, (w + cw) / 2, float(h))
    ch = w * th / tw
    return (0.0, (h - ch) / 2, float(w), (h + ch) / 2)


def read_image(path: Path, size: tuple[int, int] | None, mode: str) -> np.ndarray:
    """One image as uint8 (h, w) or (h, w, 3), resized and centre-cropped to ``size``."""
    try:
        with Image.open(path) as im:
            if size is not None:
                im.draft(mode, (size[1], size[0]))  # JPEG only: cheap downscale at decode
            im = im.convert(mode)
            if size is not None and im.size != (size[1], size[0]):
                box = _crop_box(im.width, im.height, size[1], size[0])
                im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR, box=box,
                               reducing_gap=2.0)
            return np.asarray(im, dtype=np.uint8)
    except FileNotFoundError as e:
        raise DataError(f"{path}: image file is missing") from e
    except UnidentifiedImageError as e:
        raise DataError(f"{path}: not a readable image (corrupt or unknown format)") from e
    except (OSError, ValueError, SyntaxError) as e:
        raise DataError(f"{path}: corrupt or truncated image ({e})") from e


def probe(path: Path) -> tuple[tuple[int, int], str]:
    """(h, w) and Pillow mode of an image, from its header only."""
    try:
        with Image.open(path) as im:
            return (im.height, im.width), im.mode
    except UnidentifiedImageError as e:
        raise DataError(f"{path}: not a readable image (corrupt or unknown format)") from e
    except OSError as e:
        raise DataError(f"{path}: cannot open image ({e})") from e


def read_images(
    paths: Sequence[Path],
    size: tuple[int, int] | None = None,
    mode: str = "RGB",
    workers: int | None = None,
) -> np.ndarray:
    """Decode ``paths`` into (n, h, w, 3) for RGB or (n, h, w) for L, uint8.

    With ``size`` None every image must have the first one's size.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    if not paths:
        raise DataError("no images to read")
    first = read_image(Path(paths[0]), size, mode)
    out = np.empty((len(paths), *first.shape), dtype=np.uint8)
    out[0] = first

    def work(chunk: range) -> None:
        for i in chunk:
            img = read_image(Path(paths[i]), size, mode)
            if img.shape != first.shape:
                raise DataError(
                    f"{paths[i]}: image is {img.shape[1]}x{img.shape[0]} but {paths[0]} is "
                    f"{first.shape[1]}x{first.shape[0]}; pass image_size to resize them all"
                )
            out[i] = img

    workers = workers or min(8, os.cpu_count() or 1)
    step = max(64, len(paths) // (workers * 8) + 1)
    chunks = [range(i, min(i + step, len(paths))) for i in range(1, len(paths), step)]
    if workers == 1 or len(chunks) <= 1:
        for c in chunks:
            work(c)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for fut in [pool.submit(work, c) for c in chunks]:
                fut.result()
    return out
