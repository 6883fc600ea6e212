"""Write ``v1_digits.pumap``: a model file in the original single-code format.

The file was generated with pumap_core as of commit 04ab67c (before two-code
models existed) and is committed, so that later versions are tested against a
real old file rather than against what they themselves write:

    python tests/data/make_v1_model.py

It holds a tiny MLP encoder and decoder (one hidden layer of 16) fitted for a
few epochs on the first 200 rows of scikit-learn's digits, and beside it
``v1_digits_expected.npz``: ``transform`` of the first 20 rows and
``inverse_transform`` of their codes, as computed when the file was written.
Rerunning overwrites both (only do that on purpose: the point is that they
stay old).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from pumap_core import ParametricUMAP  # noqa: E402
from pumap_core.nets import MLPDecoder, MLPEncoder  # noqa: E402


def digits_rows(n: int = 200) -> np.ndarray:
    from sklearn.datasets import load_digits

    return (load_digits().data[:n] / 16.0).astype(np.float32)


def main() -> None:
    torch.manual_seed(0)
    X = digits_rows()
    model = ParametricUMAP(
        encoder=MLPEncoder(64, 2, hidden=(16,)),
        decoder=MLPDecoder(2, 64, hidden=(16,), sigmoid_output=True),
        reconstruction=True, n_epochs=3, n_neighbors=10, random_state=0, device="cpu",
    ).fit(X)
    model.save(HERE / "v1_digits.pumap")
    Z = model.transform(X[:20])
    np.savez(HERE / "v1_digits_expected.npz", rows=np.arange(20), transform=Z,
             inverse_transform=model.inverse_transform(Z))
    print(f"wrote {HERE / 'v1_digits.pumap'} ({(HERE / 'v1_digits.pumap').stat().st_size} bytes)")


if __name__ == "__main__":
    main()
