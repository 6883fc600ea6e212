"""A loss term is declared once: registering a toy term is all it takes for the loop to
train it, the dashboard's chart to draw it, and a model file to keep its weight."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pumap_core import ParametricUMAP
from pumap_core.training.live import LIVE, WEIGHT_OF, TrainingControls, register_term, remove_term
from pumap_core.training.setting import LiveSetting
from pumap_core.training.terms import TERMS, LossTerm

#: where the toy term pulls the map's centre
TARGET = 6.0


def _pull_centre(s) -> torch.Tensor:
    """The squared distance of the batch's mean map point from (TARGET, TARGET)."""
    return (s.z.mean(0) - TARGET).pow(2).sum()


@pytest.fixture
def toy():
    term = register_term(LossTerm(
        "toy", LiveSetting("toy_weight", (0.0, 100.0), (0.0, 5.0), term="toy",
                           doc="Pull the map's centre to (6, 6)."),
        _pull_centre, "toy: centre at (6, 6)", default_weight=2.0))
    yield term
    remove_term("toy")


def test_a_registered_term_is_trained_charted_and_saved(toy, small_digits, tmp_path):
    from app.views.curves import components, contributions, label

    X, _ = small_digits
    model = ParametricUMAP(n_epochs=3, init=None, random_state=0).fit(X)
    assert "toy" in model.loss_history_[-1]
    off = ParametricUMAP(n_epochs=3, init=None, random_state=0).fit(
        X, controls=TrainingControls(toy_weight=0.0))  # the same fit, the term weighted 0
    assert "toy" not in off.loss_history_[-1]
    assert np.abs(model.embedding_.mean(0) - TARGET).max() < 1.0  # trained: the centre moved
    assert np.abs(off.embedding_.mean(0) - TARGET).max() > 2.0
    assert model.toy_weight_ == 2.0 and off.toy_weight_ == 0.0
    model.save(tmp_path / "toy.pumap")
    assert ParametricUMAP.load(tmp_path / "toy.pumap").toy_weight_ == 2.0
    assert "toy" in components() and label("toy") == "toy: centre at (6, 6)"
    shown = contributions({"umap": 1.0, "toy": 0.5, "total": 2.0}, {"toy_weight": 2.0})
    assert shown["toy"] == 1.0 and shown["total"] == pytest.approx(1.0 + shown["umap"])


def test_its_weight_is_a_live_setting(toy, small_digits):
    controls = TrainingControls()
    controls.update(toy_weight=0.5)
    with pytest.raises(ValueError, match="toy_weight must be a finite number between 0 and 100"):
        controls.update(toy_weight=1e6)
    assert WEIGHT_OF["toy"] == "toy_weight" and TERMS["toy"] is toy


def test_removing_it_leaves_the_built_in_terms(toy):
    remove_term("toy")
    assert "toy" not in TERMS and "toy_weight" not in LIVE
    assert list(TERMS) == ["umap", "code_umap", "global", "reconstruction", "classifier",
                           "landmark"]
    register_term(toy)  # the fixture removes it again
    with pytest.raises(ValueError, match="exists"):
        register_term(toy)
