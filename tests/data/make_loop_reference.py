"""Writes ``loop_reference.json``: what seeded fits of the training loop produced before
it was made sync-free and split into stages (commit 37c8192, 56 steps each).
``tests/test_loop_regression.py`` checks that the loop still produces the same numbers
on the CPU: the restructuring changed when losses are read, not what is computed.

    python tests/data/make_loop_reference.py   # only when the arithmetic changes on purpose
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

#: (name, ParametricUMAP keyword arguments): each a different path through a step.
CASES = {
    "batch_all": {},
    "uniform": {"negatives": "uniform"},
    "in_batch": {"negatives": "in_batch"},
    "noise_global": {"input_noise": 0.05, "global_correlation_weight": 0.3},
    "reconstruction_rows": {"reconstruction": True, "reconstruction_rows": 64},
    "classifier": {"classifier_input": "latent"},
}


def fit_case(X: np.ndarray, y: np.ndarray, params: dict) -> dict:
    from pumap_core import ParametricUMAP

    labels = np.where(np.arange(len(y)) % 5 == 0, y, -1) if params.get("classifier_input") else None
    model = ParametricUMAP(n_epochs=7, random_state=0, device="cpu", **params)
    model.fit(X, labels)
    return {"history": model.loss_history_, "embedding": model.embedding_[:20].tolist()}


def main() -> None:
    from sklearn.datasets import load_digits

    import pumap_core.training.initialization as initialization

    torch.set_num_threads(1)
    initialization.DENSE_EIGEN_ROWS = 10**9  # the spectral start the test pins too
    X, y = load_digits(return_X_y=True)
    X = X[:300].astype(np.float32) / 16.0
    out = {name: fit_case(X, y[:300], params) for name, params in CASES.items()}
    Path(__file__).with_name("loop_reference.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
