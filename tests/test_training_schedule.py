"""How long and from where training runs: convergence stopping, the warm start,
input noise, reconstruction subsampling and the device choice."""

import numpy as np
import pytest
import torch

from pumap_core import ParametricUMAP, nets
from pumap_core.device import resolve_device
from pumap_core.model import fitting
from pumap_core.training.convergence import ConvergenceMonitor, neighbour_recall
from pumap_core.training.initialization import initial_layout, pca_layout, spectral_layout
from pumap_core.training.loop import reconstruction_subset, warm_start


def data_knn(X: np.ndarray, k: int = 15) -> np.ndarray:
    from pumap_core.graph.neighbors import nearest_neighbors

    return nearest_neighbors(X, k)[0]


def test_neighbour_recall_is_one_for_the_data_itself_and_low_for_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2)).astype(np.float32)
    monitor = ConvergenceMonitor(data_knn(X), np.arange(0, 300, 3))
    assert neighbour_recall(monitor.reference, monitor.rows, X) == 1.0
    assert neighbour_recall(monitor.reference, monitor.rows, rng.permutation(X)) < 0.2


def test_monitor_converges_only_after_a_plateau():
    X = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    monitor = ConvergenceMonitor(data_knn(X), np.arange(200), patience=2)
    noise = np.random.default_rng(1).normal(size=X.shape).astype(np.float32)
    improving = [X + s * noise for s in (4.0, 2.0, 1.0, 0.5, 0.25)]
    assert not any(monitor.update(Z, checks_left=10) for Z in improving)
    # the same map again and again: the projected gain over the checks left vanishes
    repeats = [monitor.update(improving[-1], checks_left=10) for _ in range(4)]
    assert repeats[0] is False and repeats[-1] is True


def test_auto_epochs_stop_early_on_a_toy_set():
    # three well-separated blobs converge long before the cap
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.3, size=(150, 6)) for c in (0, 5, 10)]).astype(np.float32)
    model = ParametricUMAP(random_state=0).fit(X)
    cap = fitting.resolve_epochs(model)
    assert model.n_epochs_ < cap / 2
    assert model.loss_history_[-1]["epoch"] < cap


def test_convergence_ends_the_decay_in_a_short_tail_instead_of_stopping_cold():
    from pumap_core.training.schedule import FINAL, TAIL, LinearDecay

    decay = LinearDecay(1000)
    assert decay.factor(0) == 1.0 and decay.factor(500) == pytest.approx(1 - (1 - FINAL) / 2)
    end = decay.converge(400)  # converged at 40 %: the rest of the decay in TAIL × 400 steps
    assert end == 400 + round(TAIL * 400)
    assert decay.factor(400) == pytest.approx(1 - (1 - FINAL) * 0.4)  # no jump
    assert decay.factor(end) == pytest.approx(FINAL)
    assert LinearDecay(1000).converge(990) == 1000  # never past the planned end
    assert LinearDecay(1000, enabled=False).converge(400) == 400  # no decay: stop at once


def test_a_fixed_epoch_count_is_a_hard_cap(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(n_epochs=3, random_state=0).fit(X)
    assert model.n_epochs_ == 3 and model.loss_history_[-1]["epoch"] == pytest.approx(3.0)


def test_spectral_layout_separates_disjoint_clusters_and_falls_back_to_pca(digits):
    X, y = digits
    model = ParametricUMAP(n_epochs=1, random_state=0).fit(X[:600])
    layout = spectral_layout(model.graph_.edges, 2)
    assert layout.shape == (600, 2) and layout.dtype == np.float32
    # classes sit apart: a 1-NN classifier on the layout beats chance by far
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    assert cross_val_score(KNeighborsClassifier(1), layout, y[:600], cv=3).mean() > 0.6
    np.testing.assert_allclose(layout.std(), 4.0, rtol=1e-4)
    # a graph in two pieces has no single spectral layout: PCA instead
    from pumap_core.graph import EdgeSet
    split = EdgeSet(np.array([0, 1, 2, 3]), np.array([1, 0, 3, 2]), np.ones(4, np.float32), 4)
    assert spectral_layout(split, 2) is None
    pca = initial_layout("spectral", X[:4], split, 2)
    np.testing.assert_allclose(pca, pca_layout(X[:4], 2), atol=1e-5)
    with pytest.raises(ValueError, match="init must be"):
        initial_layout("random", X[:4], split, 2)


def test_large_graphs_take_the_same_spectral_layout_from_lobpcg(digits, monkeypatch):
    """Past LOBPCG_ROWS the eigenvectors come from LOBPCG (bounded memory): the same
    subspace as ARPACK's."""
    from pumap_core.training import initialization

    X, _ = digits
    edges = ParametricUMAP(n_epochs=1, random_state=0).fit(X).graph_.edges
    arpack = spectral_layout(edges, 2)
    monkeypatch.setattr(initialization, "LOBPCG_ROWS", 1000)
    lobpcg = spectral_layout(edges, 2)
    assert lobpcg.shape == arpack.shape and lobpcg.dtype == np.float32
    q1, _ = np.linalg.qr(arpack - arpack.mean(0))
    q2, _ = np.linalg.qr(lobpcg - lobpcg.mean(0))
    assert np.linalg.svd(q1.T @ q2, compute_uv=False).min() > 0.99


def test_warm_start_regresses_the_encoder_onto_the_layout(digits):
    X, _ = digits
    torch.manual_seed(0)
    layout = torch.from_numpy(pca_layout(X, 2))
    encoder = nets.MLPEncoder(64, 2)
    inputs = torch.from_numpy(X)
    before = torch.nn.functional.mse_loss(encoder(inputs), layout).item()
    warm_start(encoder, inputs, layout, steps=200, batch_size=256, learning_rate=3e-3)
    with torch.no_grad():
        after = torch.nn.functional.mse_loss(encoder(inputs), layout).item()
    assert after < 0.1 * before


def test_warm_start_and_noise_raise_held_out_quality(digits):
    """Small data: the spectral warm start and input noise keep unseen rows as
    faithful as training rows (without them the map over-fits)."""
    from pumap_core.eval.metrics import trustworthiness

    X, _ = digits
    rows = np.random.default_rng(0).permutation(len(X))
    train, test = X[rows[:1000]], X[rows[1000:1400]]
    plain = ParametricUMAP(n_epochs=15, batch_size=256, init=None, input_noise=None,
                           random_state=0).fit(train)
    regular = ParametricUMAP(n_epochs=15, batch_size=256, random_state=0).fit(train)
    assert fitting.input_noise(regular) > 0
    t_plain = trustworthiness(test, plain.transform(test))
    t_regular = trustworthiness(test, regular.transform(test))
    assert t_regular > t_plain


def test_reconstruction_subset_is_uniform_and_unbiased():
    gen = torch.Generator().manual_seed(0)
    assert reconstruction_subset(50, None, gen, torch.device("cpu")) is None
    assert reconstruction_subset(50, 64, gen, torch.device("cpu")) is None
    counts = torch.zeros(100)
    errors = torch.rand(100, generator=gen)
    means = []
    for _ in range(4000):
        rows = reconstruction_subset(100, 10, gen, torch.device("cpu"))
        assert len(rows) == 10 and len(set(rows.tolist())) == 10
        counts[rows] += 1
        means.append(errors[rows].mean().item())
    # every row is picked equally often, so the subset mean estimates the full mean
    assert counts.min() > 0.8 * counts.mean() and counts.max() < 1.2 * counts.mean()
    assert np.mean(means) == pytest.approx(errors.mean().item(), abs=0.01)


def test_reconstruction_rows_limit_the_decoded_batch(small_digits):
    X, _ = small_digits
    model = ParametricUMAP(n_epochs=2, reconstruction=True, reconstruction_rows=16,
                           random_state=0).fit(X)
    assert model.inverse_transform(model.transform(X[:5])).shape == (5, 64)
    assert model.loss_history_[-1]["reconstruction"] > 0
    with pytest.raises(ValueError, match="reconstruction_rows"):
        ParametricUMAP(reconstruction_rows=0).fit(X)


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    class Backend:
        def __init__(self, available):
            self.available = available

        def is_available(self):
            return self.available

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends, "mps", Backend(True), raising=False)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.backends, "mps", Backend(False), raising=False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends, "mps", Backend(True), raising=False)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")



def test_the_map_searched_on_its_device_gives_the_kd_trees_recall():
    """An accelerator's map is searched where it is (exact distances, in chunks); the
    recall is the KD-tree's on the host (torch's CPU device stands in here)."""
    from pumap_core.training.convergence import map_neighbours

    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 5)).astype(np.float32)
    Z = X[:, :2] + 0.3 * rng.normal(size=(500, 2)).astype(np.float32)
    monitor = ConvergenceMonitor(data_knn(X), np.arange(0, 500, 4))
    on_host = neighbour_recall(monitor.reference, monitor.rows, Z)
    in_place = neighbour_recall(monitor.reference, monitor.rows, torch.from_numpy(Z))
    assert in_place == pytest.approx(on_host) and 0.1 < on_host < 0.9
    chunked = map_neighbours(torch.from_numpy(Z), monitor.rows, 6, chunk_scores=1000)
    whole = map_neighbours(torch.from_numpy(Z), monitor.rows, 6)
    assert (chunked == whole).all() and (whole[:, 0] == monitor.rows).all()
