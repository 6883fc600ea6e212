"""Write ``v2_digits_two_code.pumap``: a two-code model file (format 2).

The file was generated with pumap_core as of commit ceb418c, before the
package was regrouped into ``graph/``, ``nets/``, ``training/``, ``model/``
and ``eval/``, and is committed so that later versions are tested against a
real file of that time rather than against what they themselves write:

    python tests/data/make_v2_model.py

It holds a two-code model (a 4-D code, a 2-D map) with small MLPs fitted for
a few epochs on the first 150 rows of scikit-learn's digits, saved with its
neighbour graph, and beside it ``v2_digits_two_code_expected.npz``:
``transform``, ``encode``, ``decode`` of those codes and ``inverse_transform``
of the map points for the first 20 rows, as computed when the file was
written. The map head's hidden layers are shrunk to one of 16 units (the
file format stores ``map_hidden``) to keep the file small. Rerunning
overwrites both (only do that on purpose: the point is that they stay old).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from pumap_core import ParametricUMAP, nets  # noqa: E402

NAME = "v2_digits_two_code"


def digits_rows(n: int = 150) -> np.ndarray:
    from sklearn.datasets import load_digits

    return (load_digits().data[:n] / 16.0).astype(np.float32)


def main() -> None:
    torch.manual_seed(0)
    # the estimator builds the map head with CodeMapEncoder's default widths: a small one here
    init = nets.CodeMapEncoder.__init__
    init.__defaults__ = (2, (16,), 0.0, None)
    X = digits_rows()
    model = ParametricUMAP(
        code_components=4, map_epochs=1,
        encoder=nets.MLPEncoder(64, 4, hidden=(16,)),
        decoder=nets.MLPDecoder(4, 64, hidden=(16,), sigmoid_output=True),
        reconstruction=True, n_epochs=3, n_neighbors=8, random_state=0, device="cpu",
    ).fit(X)
    path = HERE / f"{NAME}.pumap"
    model.save(path, include_graph=True)
    rows = np.arange(20)
    Z, C = model.transform(X[rows]), model.encode(X[rows])
    np.savez(HERE / f"{NAME}_expected.npz", rows=rows, transform=Z, encode=C,
             decode=model.decode(C), inverse_transform=model.inverse_transform(Z))
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
