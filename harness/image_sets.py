"""Image sets as a person would have them: a folder with ``images.npy`` (and ``labels.npy``).

Made from the CelebA copy under :func:`harness.paths.data_dir` (grey or colour, any
size, any number of faces: Olivetti's 400 grey 64×64 faces are the example),
or, without it, from scikit-learn's digits scaled up. Shared by the app's image-set
benchmark and the browser tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.paths import data_dir

#: luminance weights (ITU-R 601), colour → grey
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def has_celeba(root: str | Path | None = None) -> bool:
    return (data_dir(root) / "celeba" / "list_attr_celeba.txt").is_file()


def celeba_images(n: int, side: int, grey: bool, offset: int = 0,
                  root: str | Path | None = None) -> np.ndarray:
    """Faces ``offset`` .. ``offset + n`` of CelebA at ``side`` × ``side`` (uint8)."""
    from pumap_core.data import load

    ds = load(data_dir(root) / "celeba", image_size=side, limit=offset + n)
    images = ds.images[offset:]
    if grey:
        images = np.round(images.astype(np.float32) @ LUMA).astype(np.uint8)
    return images


def digits_images(n: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits scaled up to ``side`` px (grey uint8) and their labels."""
    from PIL import Image

    from pumap_core.data import load_digits

    ds = load_digits()
    rows = np.arange(n) % ds.n_samples
    images = np.stack([np.asarray(Image.fromarray(ds.images[i]).resize((side, side),
                                                                        Image.BILINEAR))
                       for i in rows])
    return images.astype(np.uint8), ds.labels[rows]


def write_image_set(folder: Path, images: np.ndarray, labels: np.ndarray | None = None
                    ) -> Path:
    """``folder/images.npy`` (and ``labels.npy``); returns the images file."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "images.npy", images)
    if labels is not None:
        np.save(folder / "labels.npy", np.asarray(labels))
    return folder / "images.npy"


def olivetti_like(folder: Path, n: int = 400, side: int = 64) -> Path:
    """A set like Olivetti's faces: ``n`` grey ``side``-px images, ten labels (which
    tenth of the set a face is from) in ``labels.npy``; CelebA faces, else digits."""
    if has_celeba():
        images, labels = celeba_images(n, side, grey=True), np.arange(n) * 10 // n
    else:
        images, labels = digits_images(n, side)
    return write_image_set(folder, images, labels)
