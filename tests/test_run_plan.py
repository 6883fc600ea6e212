"""The run plan: image sets get networks and epochs by measured cost, and an expected length."""

from __future__ import annotations

import numpy as np
import pytest

from pumap_core import Conv, TwoCode
from pumap_core.data import Dataset
from pumap_core.model.specs import network_choice
from pumap_core.run_plan import (
    IMAGE_NETWORKS,
    MIN_CONV_STEPS,
    RunPlan,
    measure_steps,
    plan_run,
    wants_image_model,
)

pytestmark = pytest.mark.timeout(300)


def grey_images(n: int, side: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(images=rng.integers(0, 256, (n, side, side), dtype=np.uint8), name="grey")


def test_which_sets_get_the_image_model():
    assert wants_image_model(grey_images(10, 64))  # 64 px grey: conv by size before
    assert not wants_image_model(grey_images(10, 28))  # MNIST-sized: the engine's MLP
    assert not wants_image_model(Dataset(X=np.zeros((5, 3), np.float32)))
    colour = Dataset(images=np.zeros((4, 8, 8, 3), np.uint8))
    assert wants_image_model(colour)


def test_a_grey_64px_set_gets_networks_whose_steps_fit_the_budget():
    from pumap_core.graph import build_graph

    ds = grey_images(200, 64)
    graph = build_graph(ds.X, 15)
    plan = plan_run(ds, graph, seconds=60.0)
    assert plan.network in IMAGE_NETWORKS
    assert plan.params["encoder"] == plan.params["decoder"]
    assert network_choice(plan.params["encoder"])[0] == plan.network
    assert plan.params["two_code"].code_components == 16 and plan.params["n_components"] == 2
    conv_step = plan.measured["pca_conv step"]
    if plan.network == "pca_conv":  # chosen only when enough of its steps fit
        assert 60.0 * 0.7 / conv_step >= MIN_CONV_STEPS
    else:
        assert plan.measured["pca_mlp step"] < conv_step
    # the schedule is sized to the budget: the run is expected to end within it
    assert plan.params["n_epochs"] >= 1 and plan.params["two_code"].map_epochs >= 1
    mass = float(graph.edges.weight.sum())
    assert plan.steps == plan.params["n_epochs"] * int(np.ceil(mass / 64))
    assert plan.measured["probe step"] > 0 and plan.setup_seconds > 0  # a real fit, timed
    assert plan.seconds <= 60.0 * 1.05 or plan.params["n_epochs"] == 1
    assert plan.describe().startswith("about ")


def test_other_data_keep_the_engines_defaults_and_an_upper_bound():
    from pumap_core.data import load_digits
    from pumap_core.graph import build_graph

    ds = load_digits(limit=300)
    graph = build_graph(ds.X, 15)
    plan = plan_run(ds, graph)
    assert plan.params == {} and plan.network == "mlp" and plan.capped
    assert plan.describe().startswith("at most ")
    mass = float(graph.edges.weight.sum())
    assert plan.steps >= 10 * int(np.ceil(mass / 256))  # AUTO_EPOCHS' lower bound


def test_measured_steps_cost_more_for_bigger_networks():
    cheap = measure_steps({"reconstruction": True}, 64, None, 500, repeats=2)
    nets = Conv(widths=(16, 32, 64), pca_start=True)
    dear = measure_steps({"two_code": TwoCode(code_components=16), "encoder": nets,
                          "decoder": nets, "reconstruction": True, "batch_size": 64,
                          "negatives": "in_batch"}, 64 * 64, (64, 64), 500, repeats=2)
    assert dear["step"] > cheap["step"] > 0 and "map" in dear and "map" not in cheap


def test_a_plan_adds_up_its_stages():
    plan = RunPlan(params={}, network="pca_mlp", step_seconds=0.1, steps=100,
                   warm_seconds=3.0, map_step_seconds=0.01, map_steps=500)
    assert plan.seconds == pytest.approx(3.0 + 10.0 + 5.0)
    assert plan.total_steps == 600 and "then 500 of the map alone" in plan.describe()
