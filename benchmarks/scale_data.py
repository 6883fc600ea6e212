"""A million realistic rows from MNIST and Fashion-MNIST, written as Parquet shards.

No public data set of a million image-like rows ships with this machine, so the
scale benchmark makes one: each row is a training image of MNIST or
Fashion-MNIST (120,000 bases, 20 classes) under a small random affine
distortion (rotation ±12°, scale 0.9–1.1, shift ±1.4 px, as handwriting and
product photos vary), projected onto the bases' first 64 principal components.
Rows of the same base are near neighbours without being copies, so the
neighbour graph has the structure of a real collection at that size.

    python -m benchmarks.scale_data --rows 1000000 --out /tmp/scale-1m

writes ``part-0000.parquet …`` with columns ``f00…f63`` and ``label``
("mnist 3", "fashion Sneaker"), readable by ``pumap_core.data.load``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

from pumap_core.data import load

N_FEATURES = 64
SHARD_ROWS = 100_000
MAX_ANGLE = math.radians(12)


def base_images(data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's and Fashion-MNIST's training images (n × 784 in [0, 1]) and their names."""
    parts, names = [], []
    for source, prefix in (("mnist", "mnist"), ("fashion-mnist", "fashion")):
        ds = load(source, data_dir=data_dir)
        parts.append(ds.X)
        names.append(np.asarray([f"{prefix} {ds.label_names[c]}" for c in ds.labels], dtype=object))
    return np.concatenate(parts), np.concatenate(names)


def distort(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each 28×28 image (rows of 784) under its own small random affine map."""
    n = images.shape[0]
    angle = rng.uniform(-MAX_ANGLE, MAX_ANGLE, n)
    scale = rng.uniform(0.9, 1.1, n)
    shift = rng.uniform(-0.1, 0.1, (n, 2))  # grid units: 0.1 of the half-width ≈ 1.4 px
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    theta = np.stack([np.stack([cos, -sin, shift[:, 0]], 1),
                      np.stack([sin, cos, shift[:, 1]], 1)], 1).astype(np.float32)
    x = torch.from_numpy(images.reshape(n, 1, 28, 28))
    grid = torch.nn.functional.affine_grid(torch.from_numpy(theta), list(x.shape),
                                           align_corners=False)
    out = torch.nn.functional.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    return out.reshape(n, 784).numpy()


def write_shards(n_rows: int, out: str | Path, data_dir: str | Path | None = None,
                 seed: int = 0, shard_rows: int = SHARD_ROWS) -> list[Path]:
    """Write ``n_rows`` distorted, projected rows as Parquet shards under ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    X, names = base_images(data_dir)
    sample = rng.choice(X.shape[0], min(20_000, X.shape[0]), replace=False)
    pca = PCA(N_FEATURES, svd_solver="randomized", random_state=seed).fit(X[sample])
    columns = [f"f{i:02d}" for i in range(N_FEATURES)]
    paths = []
    for shard, start in enumerate(range(0, n_rows, shard_rows)):
        rows = rng.integers(0, X.shape[0], min(shard_rows, n_rows - start))
        features = pca.transform(distort(X[rows], rng)).astype(np.float32)
        frame = pd.DataFrame(features, columns=columns)
        frame["label"] = pd.Categorical(names[rows])
        path = out / f"part-{shard:04d}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--data-dir", default=None, help="folder holding mnist/ (default: "
                        "PUMAP_DATA_DIR); Fashion-MNIST also comes from Debian's package")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = write_shards(args.rows, args.out, args.data_dir, args.seed)
    print(f"wrote {args.rows:,} rows in {len(paths)} shards to {args.out}")


if __name__ == "__main__":
    main()
