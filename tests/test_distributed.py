"""Data-parallel training with torch.distributed (gloo, two local CPU processes)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from pumap_core import ParametricUMAP
from pumap_core.eval.metrics import trustworthiness
from pumap_core.model.data_parallel import fit_data_parallel, load_graph, save_graph
from pumap_core.training import distributed


def _gradient_job(out: str) -> None:
    """Each rank sets its gradient to rank + 1; after averaging all hold the mean."""
    weight = torch.nn.Parameter(torch.zeros(3))
    other = torch.nn.Parameter(torch.zeros(2, 2))
    weight.grad = torch.full((3,), float(distributed.rank() + 1))
    other.grad = torch.full((2, 2), 10.0 * (distributed.rank() + 1))
    distributed.average_gradients([weight, other])
    stop = distributed.agree(distributed.rank() == 0)
    np.save(f"{out}-{distributed.rank()}.npy",
            np.r_[weight.grad.numpy(), other.grad.numpy().ravel(), float(stop)])


def test_gradients_are_averaged_and_rank_zero_decides(tmp_path):
    distributed.spawn(2, _gradient_job, (str(tmp_path / "g"),))
    for r in (0, 1):
        got = np.load(tmp_path / f"g-{r}.npy")
        np.testing.assert_allclose(got, [1.5] * 3 + [15.0] * 4 + [1.0])


def test_single_process_helpers_are_no_ops():
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([3.0, 4.0])
    distributed.average_gradients([p])
    assert p.grad.tolist() == [3.0, 4.0]
    assert distributed.rank() == 0 and distributed.world_size() == 1
    assert distributed.agree(True) and not distributed.agree(False)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:600] / 16).astype(np.float32), y[:600]


def test_two_process_fit_matches_one_process_quality(digits, tmp_path):
    X, _ = digits
    params = dict(n_epochs=20, random_state=0, init="pca")
    fit_data_parallel(params, X, nproc=2, out=tmp_path / "ddp.pumap")
    model = ParametricUMAP.load(tmp_path / "ddp.pumap")
    single = ParametricUMAP(**params).fit(X)
    t_ddp = trustworthiness(X, model.transform(X), 10)
    t_one = trustworthiness(X, single.transform(X), 10)
    assert model.n_features_in_ == X.shape[1]
    assert t_ddp > 0.9 and t_ddp > t_one - 0.03, (t_ddp, t_one)


def test_bad_parameters_fail_before_any_process_starts(digits, tmp_path):
    X, _ = digits
    with pytest.raises(ValueError, match="negatives"):
        fit_data_parallel({"negatives": "some"}, X, nproc=2, out=tmp_path / "m")
    with pytest.raises(ValueError, match="minimum of 3"):
        fit_data_parallel({}, X[:2], nproc=2, out=tmp_path / "m")
    with pytest.raises(ValueError, match="nproc"):
        distributed.spawn(0, _gradient_job, ("x",))


def test_a_graph_file_round_trips(digits, tmp_path):
    X, _ = digits
    graph = ParametricUMAP(n_epochs=1, random_state=0).fit(X[:200]).graph_
    save_graph(graph, tmp_path / "g.npz")
    back = load_graph(tmp_path / "g.npz")
    for name in ("knn_indices", "knn_dists", "sigmas", "rhos"):
        np.testing.assert_array_equal(getattr(back, name), getattr(graph, name))
    np.testing.assert_array_equal(back.edges.weight, graph.edges.weight)
    assert (back.n_neighbors, back.metric, back.edges.n_vertices) == (15, "euclidean", 200)


def test_cli_fit_with_two_processes_writes_an_ordinary_model(digits, tmp_path):
    from pumap_core.cli import main

    X, y = digits
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "m.pumap"
    assert main(["fit", str(tmp_path / "X.npy"), "--out", str(out), "--nproc", "2",
                 "--n-epochs", "5", "--random-state", "0", "-q"]) == 0
    model = ParametricUMAP.load(out)
    Z = model.transform(X)
    assert Z.shape == (len(X), 2) and np.isfinite(Z).all()
    assert not list(tmp_path.glob(".m.pumap.*"))  # no temporary left beside it


def test_ranks_that_share_a_gpu_use_gloo(monkeypatch):
    """NCCL refuses two ranks on one GPU ("invalid usage"): with fewer GPUs than
    processes the ranks reduce through gloo instead."""
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert distributed.backend_for("cuda", nproc=1) == "nccl"
    assert distributed.backend_for("cuda", nproc=2) == "gloo"
    assert distributed.backend_for("cpu", nproc=1) == "gloo"
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    assert distributed.backend_for("cuda", nproc=4) == "nccl"


def test_a_fit_with_more_processes_than_gpus_warns_and_spawns_on_gloo(digits, tmp_path,
                                                                       monkeypatch):
    """The data-parallel fit on a one-GPU machine asked for two processes: it says so,
    and starts its ranks on gloo (the spawn itself is stubbed: there is no GPU here)."""
    from pumap_core.model import data_parallel

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    started = {}

    def fake_spawn(nproc, job, args, device):
        started.update(nproc=nproc, backend=distributed.backend_for(device, nproc))

    monkeypatch.setattr(data_parallel.distributed, "spawn", fake_spawn)
    from pumap_core.graph import build_graph

    X = digits[0][:100]
    with pytest.warns(UserWarning, match="2 processes share 1 GPU"):
        fit_data_parallel({"n_epochs": 1}, X, nproc=2, out=tmp_path / "m.pumap",
                          graph=build_graph(X, 15))
    assert started == {"nproc": 2, "backend": "gloo"}
