"""Held-out quality of ParametricUMAP variants: what moves trustworthiness.

    python -m experiments.mnist_ablation [default no-projection wide wide-noise ...]
    python -m experiments.mnist_ablation --data digits-split default no-warm-start no-noise

Fits each named variant on MNIST's 60,000 training digits (or the digits
split of :func:`harness.data.digits_split`, as the engine benchmark uses; one kNN, cached in ``--cache``, shared by
all fits) and prints trustworthiness (k=5) and 1-NN accuracy of the held-out
rows, trustworthiness of the first 10,000 training rows and the epochs
trained: the gap between held-out and training trustworthiness is how well the
network generalises (umap-learn's UMAP on MNIST: training .9585, test .9561;
``experiments/results/mnist_ablation.md``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from harness.data import load_split
from harness.methods import knn_for
from harness.threads import set_threads
from pumap_core import ParametricUMAP
from pumap_core.nets import ConvEncoder, MLPEncoder
from pumap_core.nets.augment import Augmented, GaussianNoise

WIDE = (256, 256, 256)

#: name → keyword arguments of ParametricUMAP (functions: each fit gets fresh networks).
VARIANTS: dict[str, Callable[[], dict]] = {
    "default": lambda: {},
    "no-projection": lambda: {"input_projection": None},
    "projection-200": lambda: {"input_projection": 200},
    "projection-300": lambda: {"input_projection": 300},
    "wide": lambda: {"input_projection": None, "encoder": MLPEncoder(784, 2, WIDE)},
    "wide-noise": lambda: {"input_projection": None,
                           "encoder": Augmented(MLPEncoder(784, 2, WIDE), GaussianNoise(0.15))},
    "wider-noise": lambda: {"input_projection": None, "encoder": Augmented(
        MLPEncoder(784, 2, (512, 512, 512)), GaussianNoise(0.15))},
    "widest-noise": lambda: {"input_projection": None, "encoder": Augmented(
        MLPEncoder(784, 2, (1024, 1024, 1024)), GaussianNoise(0.15))},
    "small-conv": lambda: {"encoder": ConvEncoder((28, 28), 2, hidden=128, widths=(8, 16))},
    "no-warm-start": lambda: {"init": None},
    "pca-warm-start": lambda: {"init": "pca"},
    "no-noise": lambda: {"input_noise": None},
    # before the warm start, the noise and convergence stopping: the fixed "auto" schedule
    # chose 15 epochs for MNIST and 200 for the digits split
    "old-defaults": lambda: {"init": None, "input_noise": None, "n_epochs": 15,
                             "learning_rate": 3e-3, "batch_size": 512},
    "old-defaults-digits": lambda: {"init": None, "input_noise": None, "n_epochs": 200,
                                    "learning_rate": 3e-3, "batch_size": 512},
    "slow-lr": lambda: {"learning_rate": 3e-3, "batch_size": 512},
    "full-noise": lambda: {"input_noise": 0.23},  # the small-data noise, unshrunk, on MNIST
}


def cached_knn(X: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The kNN of ``X`` from ``path`` when saved there, else computed and saved."""
    if path.exists():
        saved = np.load(path)
        return saved["indices"], saved["distances"]
    indices, distances = knn_for(X)
    np.savez(path, indices=indices, distances=distances)
    return indices, distances


def main(argv: list[str] | None = None) -> int:
    from sklearn.neighbors import KNeighborsClassifier

    from pumap_core.eval.metrics import trustworthiness

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--data", choices=("mnist", "digits-split"), default="mnist")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cache", type=Path, default=None, help="kNN cache (.npz)")
    a = p.parse_args(argv)
    set_threads(a.threads)
    split = load_split(a.data)
    knn = cached_knn(split.X_train, a.cache or Path(f"/tmp/pumap_{a.data}_knn.npz"))
    print("variant | fit s | test trustworthiness | test 1-NN | train trustworthiness | epochs")
    for name in a.variants:
        start = time.perf_counter()
        model = ParametricUMAP(random_state=0, **VARIANTS[name]()).fit(split.X_train, knn=knn)
        seconds = time.perf_counter() - start
        Z = model.transform(split.X_test)
        one_nn = KNeighborsClassifier(1).fit(model.embedding_, split.y_train).score(Z, split.y_test)
        print(f"{name} | {seconds:.0f} | {trustworthiness(split.X_test, Z):.4f} | {one_nn:.4f} | "
              f"{trustworthiness(split.X_train[:10000], model.embedding_[:10000]):.4f} | "
              f"{model.n_epochs_}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
