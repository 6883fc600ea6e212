"""Paper experiment 3 (section 5.4.1): decoding held-out images from 2-D codes.

    python -m experiments.reconstruction --threads 1          # subsampled: ~10 min
    python -m experiments.reconstruction --threads 1 --full   # paper sizes: hours

For MNIST and Fashion-MNIST each method encodes held-out test images to 2-D
and decodes them back; the score is the mean squared error per pixel (pixels
in [0, 1]) against the originals, plus the decoding speed (seconds per 1,000
codes, median of repeats after a warm-up):

- ours, AE loss: ``ParametricUMAP(reconstruction=True)``. The decoder's loss
  also trains the encoder, so the autoencoder helps shape the latent space.
- ours, no AE loss on the codes: ``ParametricUMAP(reconstruction=True,
  reconstruction_grad=False)``. The reconstruction gradient stops at the
  codes: the encoder learns from UMAP's loss alone, exactly as without a
  decoder, and the decoder learns to invert those codes. This is the paper's
  comparison of a decoder on a Parametric UMAP embedding that the
  autoencoder loss did not shape; the paper trains that decoder after the
  embedding, here it trains alongside on the stop-gradient codes (the latent
  space is the same; the decoder follows the codes while they still move).
- PCA(2): ``inverse_transform`` of the test codes.
- umap-learn ``UMAP.inverse_transform`` of the test rows' ``transform``: it
  optimises each point separately and is slow, so it decodes only a random
  subsample of test codes (``--umap-rows``, default 200). Every method is
  also scored on that subsample (``mse_subsample``), so all compare on the
  same images.
- the mean training image for every code: the floor a decoder must beat.

Writes ``reconstruction.csv``, ``reconstruction_tables.md`` and
``reconstruction_<data set>.png`` (a few test images and each method's
reconstruction) under ``--out``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from harness import methods
from harness.cli import add_methods_argument, parser
from harness.data import Split, load_split
from harness.paths import EXPERIMENT_RESULTS
from harness.report import TIMING_NOTE, markdown_table, size_note, write_sections
from harness.threads import set_threads
from harness.timing import seconds_per_1000, timed

#: Short name (``--methods``) -> label in the tables.
METHODS = {"ours-ae": "ours, AE loss", "ours-decoder": "ours, no AE loss on codes",
           "pca": "PCA", "umap": "umap-learn UMAP", "mean": "mean training image"}
#: Default run: ~10 minutes at one thread on a shared two-core machine (the sizes
#: of experiments.embedding_quality; ours far below its default "auto" epochs, ~75 here).
DEFAULT_TRAIN, DEFAULT_TEST, DEFAULT_EPOCHS = 12_000, 2_000, 10


@dataclass
class Decoded:
    """One method's reconstructions of the test rows it decoded, and its decoding speed."""

    rows: np.ndarray  # indices into the test rows
    images: np.ndarray  # flat reconstructions, one per row in ``rows``
    seconds_per_1000: float
    fit_s: float


def fit_decoder(method: str, split: Split, knn, n_epochs: int | None,
                seed: int) -> tuple[Callable, Callable, float]:
    """Fit ``method``; ``(encode, decode, fit seconds)`` with flat rows in and out."""
    if method == "mean":  # the reference every decoder should beat: one image for all
        return mean_image_decoder(split.X_train)
    if method.startswith("ours"):
        model = methods.ours(2, reconstruction=True, reconstruction_grad=method == "ours-ae",
                             n_epochs=n_epochs, seed=seed)
        _, seconds = timed(lambda: model.fit(split.X_train, knn=knn))
    else:
        model = methods.pca(2, seed) if method == "pca" else methods.umap_learn(2, seed=seed)
        _, seconds = timed(lambda: model.fit(split.X_train))

    def decode(Z: np.ndarray) -> np.ndarray:
        return np.asarray(model.inverse_transform(Z)).reshape(len(Z), -1)

    return model.transform, decode, seconds


def mean_image_decoder(X_train: np.ndarray) -> tuple[Callable, Callable, float]:
    """Encode everything to the origin, decode anything to the mean training image."""
    mean = X_train.mean(axis=0)
    return (lambda X: np.zeros((len(X), 2)),
            lambda Z: np.repeat(mean[None], len(Z), axis=0), 0.0)


def decode_test_rows(method: str, split: Split, knn, n_epochs: int | None, subsample: np.ndarray,
                     repeats: int, seed: int) -> Decoded:
    """Fit, encode the test rows (umap-learn: only the subsample), decode and time it."""
    encode, decode, fit_s = fit_decoder(method, split, knn, n_epochs, seed)
    rows = subsample if method == "umap" else np.arange(len(split.X_test))
    Z = np.asarray(encode(split.X_test[rows]))
    speed = seconds_per_1000(decode, Z, 1 if method == "umap" else repeats)
    return Decoded(rows, decode(Z), speed, fit_s)


def mse(split: Split, decoded: Decoded, rows: np.ndarray | None = None) -> float:
    """Mean squared error per pixel over ``rows`` of the test set (default: all decoded)."""
    keep = slice(None) if rows is None else np.searchsorted(decoded.rows, rows)
    return float(np.mean((decoded.images[keep] - split.X_test[decoded.rows[keep]]) ** 2))


def run_split(split: Split, names: list[str], n_epochs: int | None, umap_rows: int, repeats: int,
              seed: int) -> tuple[list[dict], dict[str, Decoded], np.ndarray]:
    """All methods on one data set: result rows, reconstructions and the shared subsample."""
    rng = np.random.default_rng(seed)
    subsample = np.sort(rng.choice(len(split.X_test), min(umap_rows, len(split.X_test)),
                                   replace=False))
    knn = methods.knn_for(split.X_train, seed=seed)
    rows, decoded = [], {}
    for method in names:
        d = decoded[METHODS[method]] = decode_test_rows(method, split, knn, n_epochs, subsample,
                                               repeats, seed)
        everything = mse(split, d) if len(d.rows) == len(split.X_test) else float("nan")
        rows.append({"dataset": split.name, "method": METHODS[method], "mse": everything,
                     "mse_subsample": mse(split, d, subsample), "n_decoded": len(d.rows),
                     "decode_s_per_1000": d.seconds_per_1000, "fit_s": d.fit_s})
        print(f"  {split.name} {METHODS[method]}: MSE {rows[-1]['mse_subsample']:.4f} (subsample), "
              f"{d.seconds_per_1000:.3g} s per 1,000 decodes", flush=True)
    return rows, decoded, subsample


def plot_reconstructions(split: Split, decoded: dict[str, Decoded], shown: np.ndarray,
                         path: Path) -> Path:
    """Rows: the originals, then each method's decodes of the same test images."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shape = split.image_shape or (28, 28)
    rows = [("held-out original", split.X_test[shown])]
    rows += [(m, d.images[np.searchsorted(d.rows, shown)]) for m, d in decoded.items()]
    fig, axes = plt.subplots(len(rows), len(shown), figsize=(1.1 * len(shown), 1.25 * len(rows)),
                             squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(np.clip(image.reshape(shape), 0, 1), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{split.name}: held-out images decoded from 2-D codes", fontsize=10)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def write_tables(results: pd.DataFrame, out: Path, notes: list[str]) -> str:
    parts = [f"### {name}: reconstruction of held-out images from 2-D codes\n\n"
             + markdown_table(part.drop(columns="dataset").set_index("method"))
             .replace("| nan ", "| — ")
             for name, part in results.groupby("dataset", sort=False)]
    return write_sections(out, "reconstruction_tables", parts, notes)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    p = parser(__doc__.split("\n\n")[0], EXPERIMENT_RESULTS)
    p.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"])
    add_methods_argument(p, METHODS)
    p.add_argument("--n-train", type=int, help=f"training rows (default {DEFAULT_TRAIN:,})")
    p.add_argument("--n-test", type=int, help=f"test rows (default {DEFAULT_TEST:,})")
    p.add_argument("--epochs", type=int, help=f"epochs of ours (default {DEFAULT_EPOCHS}; "
                                              "--full: auto)")
    p.add_argument("--umap-rows", type=int, default=200,
                   help="test codes umap-learn's slow inverse_transform decodes")
    p.add_argument("--repeats", type=int, default=5, help="timed decodes (median)")
    p.add_argument("--n-shown", type=int, default=10, help="images in the PNG")
    a = p.parse_args(argv)
    set_threads(a.threads)
    n_train = a.n_train or (None if a.full else DEFAULT_TRAIN)
    n_test = a.n_test or (None if a.full else DEFAULT_TEST)
    n_epochs = a.epochs or (None if a.full else DEFAULT_EPOCHS)
    a.out.mkdir(parents=True, exist_ok=True)
    rows, notes = [], []
    for name in a.datasets:
        split = load_split(name, a.data_dir, n_train=n_train, n_test=n_test, seed=a.seed)
        notes.append(size_note(split))
        print(notes[-1], flush=True)
        split_rows, decoded, subsample = run_split(split, a.methods, n_epochs, a.umap_rows, a.repeats,
                                                   a.seed)
        rows += split_rows
        plot_reconstructions(split, decoded, subsample[:a.n_shown],
                             a.out / f"reconstruction_{name}.png")
    epochs = "its default ('auto')" if n_epochs is None else f"n_epochs={n_epochs}"
    notes += [f"ours trained with {epochs}; umap-learn and PCA with their defaults; "
              f"seed {a.seed}.",
              f"mse: all test rows; mse_subsample: the {a.umap_rows} random test rows that "
              "umap-learn's inverse_transform decoded (— : not decoded on all rows).",
              "decode_s_per_1000: median of repeated decodes of all decoded rows after a "
              "warm-up on 16 codes (umap-learn: one timed call). fit_s: ours from the "
              "precomputed kNN, umap-learn including its own. " + TIMING_NOTE]
    results = pd.DataFrame(rows)
    results.to_csv(a.out / "reconstruction.csv", index=False, float_format="%.5g")
    print(write_tables(results, a.out, notes), flush=True)
    return results


if __name__ == "__main__":
    main()
