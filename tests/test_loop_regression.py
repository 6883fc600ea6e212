"""The training loop computes what it computed before it was made sync-free.

``tests/data/loop_reference.json`` holds six seeded fits recorded from the loop
as it was when it read every loss back each step (``make_loop_reference.py``):
loss histories and embeddings must agree on the CPU. Reading losses less often
changes when the host sees them, not what is computed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from tests.data.make_loop_reference import CASES, fit_case

REFERENCE = json.loads((Path(__file__).parent / "data" / "loop_reference.json").read_text())


@pytest.mark.parametrize("name", list(CASES))
def test_seeded_fit_matches_the_recorded_one(name, monkeypatch):
    import pumap_core.training.initialization as initialization

    # the reference started from a dense eigensolve of the spectral layout (ARPACK's
    # eigenvectors agree to its tolerance, not to the bit): compare the loop, not the start
    monkeypatch.setattr(initialization, "DENSE_EIGEN_ROWS", 10**9)
    X, y = load_digits(return_X_y=True)
    X = X[:300].astype(np.float32) / 16.0
    got, want = fit_case(X, y[:300], CASES[name]), REFERENCE[name]
    assert [h["step"] for h in got["history"]] == [h["step"] for h in want["history"]]
    for g, w in zip(got["history"], want["history"], strict=True):
        assert set(g) == set(w)
        for key in w:
            assert g[key] == pytest.approx(w[key], rel=1e-5, abs=1e-6), (name, key)
    np.testing.assert_allclose(got["embedding"], want["embedding"], rtol=1e-4, atol=1e-4)
